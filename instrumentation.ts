// Next.js calls register() once when the web app's server starts: unless JOB_RUNNER=off, a job queue
// runner runs in this process (plan renewals, notification deliveries, …; Node runtime only: the edge
// runtime has no database client).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startJobRunnerInProcess } = await import("@/lib/jobs/start-job-runner");
  await startJobRunnerInProcess();
}
