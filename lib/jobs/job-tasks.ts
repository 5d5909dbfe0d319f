// What the job queue runs (start-job-runner.ts). Clock-driven work lives here and only here: no read,
// relay poll or page load renews, settles or cleans anything up.
//   sweep-renewals   every minute (and at start): renews every app that is due or past due (past-due fees
//                    are retried from the balance; the grace end is announced once), and schedules
//                    `renew-app` at the exact period end of every app renewing within the next two minutes
//   renew-app        one app's renewal (renew-subscription.ts: locks and re-checks, so a duplicate is a no-op)
//   settle-charges   every minute: card charges and admin refunds a stopped process left pending
//                    (charge-card.ts, billing-corrections.ts)
//   cleanup-expired  hourly: expired reset links and invitations (cleanup-expired.ts)
//   issue-invoices   hourly: issues each team's numbered invoice for every closed calendar month, and marks
//                    paid the open invoices of teams that owe nothing any more (issue-invoices.ts)
//   prune-request-log every 10 minutes: /v1 request log entries older than a day or past the newest 500
//                    of their app (lib/v1/request-log.ts)
//   auto-recharge    queued by a usage flush that took a balance to its threshold: the card is charged
//                    here, not while the relay waits for its batch to be acknowledged
//   check-usage-thresholds  queued by a usage flush that moved an app's counts and by an admin's change to its
//                    limits: raises the 75/90/100 % alerts its period has reached (check-usage-thresholds.ts)
//   deliver-notification  one try of one notification email or webhook, in its tenant's queue (lib/notifications/queue-delivery.ts)
//   sweep-deliveries every minute: queues pending deliveries that have no job, frees tenants' queues held by a
//                    runner that is gone (lib/notifications/sweep-deliveries.ts)
import type { Task, TaskList } from "graphile-worker";
import { attemptAutoRecharge } from "@/lib/billing/attempt-auto-recharge";
import { settlePendingRefunds } from "@/lib/billing/billing-corrections";
import { settlePendingCharges } from "@/lib/billing/charge-card";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { issueDueInvoices } from "@/lib/billing/issue-invoices";
import { renewApp, renewDueSubscriptions } from "@/lib/billing/renew-subscription";
import type { Db } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { deliveryConfigFromEnv } from "@/lib/notifications/deliver-notification";
import { DELIVERY_CRONTAB, deliveryTasks } from "@/lib/notifications/delivery-tasks";
import { DeliveryJob } from "@/lib/notifications/queue-delivery";
import { checkUsageThresholds, USAGE_THRESHOLDS_JOB } from "@/lib/notifications/check-usage-thresholds";
import { pruneRequestLog } from "@/lib/v1/request-log";
import { cleanupExpiredLinks } from "./cleanup-expired";
import { AHEAD_OF_DELIVERIES } from "./enqueue-job";

export const JobName = {
  sweepRenewals: "sweep-renewals",
  renewApp: "renew-app",
  settleCharges: "settle-charges",
  cleanupExpired: "cleanup-expired",
  issueInvoices: "issue-invoices",
  pruneRequestLog: "prune-request-log",
  autoRecharge: "auto-recharge",
  checkUsageThresholds: USAGE_THRESHOLDS_JOB,
  deliverNotification: DeliveryJob.deliver,
  sweepDeliveries: DeliveryJob.sweep,
} as const;
export type JobNameValue = (typeof JobName)[keyof typeof JobName];

/** How far ahead the sweep schedules exact renewals; longer than the sweep's interval, so none is missed. */
const RENEWAL_LOOKAHEAD_MS = 120_000;

export const JOB_CRONTAB = [
  `* * * * * ${JobName.sweepRenewals} ?max=1&jobKey=${JobName.sweepRenewals}&priority=${AHEAD_OF_DELIVERIES}`,
  `* * * * * ${JobName.settleCharges} ?max=1&jobKey=${JobName.settleCharges}&priority=${AHEAD_OF_DELIVERIES}`,
  `17 * * * * ${JobName.cleanupExpired} ?max=1&jobKey=${JobName.cleanupExpired}`,
  `3 * * * * ${JobName.issueInvoices} ?max=1&jobKey=${JobName.issueInvoices}&priority=${AHEAD_OF_DELIVERIES}`,
  `*/10 * * * * ${JobName.pruneRequestLog} ?max=1&jobKey=${JobName.pruneRequestLog}`,
  DELIVERY_CRONTAB,
].join("\n");

function appIdOf(payload: unknown): string {
  const appId = (payload as { appId?: unknown } | null)?.appId;
  if (typeof appId !== "string") throw new Error("this job needs { appId }");
  return appId;
}

export function jobTasks(db: Db): TaskList {
  const sweepRenewals: Task = async (_payload, helpers) => {
    const now = new Date();
    await renewDueSubscriptions(db, getPaymentProvider(), { now });
    const window = { gt: now, lte: new Date(now.getTime() + RENEWAL_LOOKAHEAD_MS) };
    const soon = await db.appSubscription.findMany({
      where: { OR: [{ renewsAt: window }, { status: "past_due", graceEndsAt: window }] },
      select: { appId: true, renewsAt: true, graceEndsAt: true },
    });
    for (const { appId, renewsAt, graceEndsAt } of soon) {
      // A period end, or the moment a past-due app's grace ends (announced then, when relays give it Free's limits).
      const moments = [renewsAt, graceEndsAt].filter((at): at is Date => at !== null && at > window.gt && at <= window.lte);
      const runAt = new Date(Math.min(...moments.map((at) => at.getTime())));
      await helpers.addJob(JobName.renewApp, { appId }, { runAt, jobKey: `${JobName.renewApp}:${appId}`, maxAttempts: 5, priority: AHEAD_OF_DELIVERIES });
    }
  };
  const renewAppTask: Task = async (payload) => {
    await renewApp(db, getPaymentProvider(), { appId: appIdOf(payload) });
  };
  const autoRecharge: Task = async (payload) => {
    await attemptAutoRecharge(db, getPaymentProvider(), { appId: appIdOf(payload), trigger: "usage" });
  };
  const checkThresholds: Task = async (payload) => {
    const { periodStartUnix, cause } = payload as { periodStartUnix?: unknown; cause?: unknown };
    await checkUsageThresholds(db, {
      appId: appIdOf(payload),
      at: typeof periodStartUnix === "number" ? new Date(periodStartUnix * 1000) : undefined,
      cause: cause === "limit_lowered" ? "limit_lowered" : "usage",
    });
  };
  const settleCharges: Task = async () => {
    await settlePendingCharges(db, getPaymentProvider());
    await settlePendingRefunds(db, getPaymentProvider());
  };
  const cleanupExpired: Task = async () => {
    await cleanupExpiredLinks(db);
  };
  const issueInvoices: Task = async () => {
    await issueDueInvoices(db);
  };
  const pruneRequests: Task = async () => {
    await pruneRequestLog(db);
  };
  return {
    [JobName.sweepRenewals]: sweepRenewals,
    [JobName.renewApp]: renewAppTask,
    [JobName.settleCharges]: settleCharges,
    [JobName.cleanupExpired]: cleanupExpired,
    [JobName.issueInvoices]: issueInvoices,
    [JobName.pruneRequestLog]: pruneRequests,
    [JobName.autoRecharge]: autoRecharge,
    [JobName.checkUsageThresholds]: checkThresholds,
    ...deliveryTasks(db, () => deliveryConfigFromEnv(getServerEnv())),
  };
}
