// Starts the notification delivery worker inside the web app's process (from instrumentation.ts),
// once per process, configured from the validated environment.
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { type DeliveryWorker, startDeliveryWorker } from "./deliver-notifications";

const globalForWorker = globalThis as unknown as { tollgateDeliveryWorker?: DeliveryWorker };

export function startNotificationDeliveryWorker(): void {
  if (globalForWorker.tollgateDeliveryWorker) return;
  const env = getServerEnv();
  globalForWorker.tollgateDeliveryWorker = startDeliveryWorker(
    getDb(),
    {
      smtpUrl: env.SMTP_URL,
      emailFrom: env.MAIL_FROM,
      dashboardUrl: env.NEXTAUTH_URL ?? "http://localhost:3000",
      encryptionKey: env.KEY_ENCRYPTION_KEY,
      retryBaseMs: env.NOTIFICATION_RETRY_BASE_MS,
      maxAttempts: env.NOTIFICATION_MAX_ATTEMPTS,
      webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowedWebhookTargets: env.WEBHOOK_ALLOWED_TARGETS,
    },
    { intervalMs: env.NOTIFICATION_WORKER_INTERVAL_MS },
  );
}
