// Next.js calls register() once when the web app's server starts: the notification delivery worker and,
// unless JOB_RUNNER=off, a job queue runner run in this process (Node runtime only; the edge runtime has
// no database client).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startNotificationDeliveryWorker } = await import("@/lib/notifications/start-delivery-worker");
  startNotificationDeliveryWorker();
  const { startJobRunnerInProcess } = await import("@/lib/jobs/start-job-runner");
  await startJobRunnerInProcess();
}
