// Usage alerts (75 / 90 / 100 % of the messages and connection limits) as a job (lib/jobs): run after a
// usage flush changed an app's counts and after an admin changed its limits, so an alert follows the
// numbers the app has now, whichever of the two moved. Each level is raised once per period whatever
// runs it how often (the event's dedupe key, emit-app-event.ts).
import type { Db, Prisma } from "@/lib/db";
import { AHEAD_OF_DELIVERIES, enqueueJob } from "@/lib/jobs/enqueue-job";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { type AppEventInput, USAGE_THRESHOLD_PERCENTS, type UsageThresholdPercent } from "./app-event.types";
import { emitAppEvent } from "./emit-app-event";

export const USAGE_THRESHOLDS_JOB = "check-usage-thresholds";

/**
 * Queues the check for an app (one pending per app and period: more flushes before it runs add nothing).
 */
export async function queueUsageThresholdCheck(tx: Db | Prisma.TransactionClient, input: { appId: string; periodStartUnix?: number }): Promise<void> {
  await enqueueJob(tx, USAGE_THRESHOLDS_JOB, input, { jobKey: `${USAGE_THRESHOLDS_JOB}:${input.appId}:${input.periodStartUnix ?? "now"}`, maxAttempts: 5, priority: AHEAD_OF_DELIVERIES });
}

/** The used count at which `percent` of `limit` is reached (at least 1, so a limit of 1 has one step). */
export function thresholdCount(limit: number, percent: UsageThresholdPercent): number {
  return Math.max(1, Math.ceil((limit * percent) / 100));
}

/** The levels `used` has reached. A null or zero limit has none. */
export function reachedThresholds(used: number, limit: number | null): UsageThresholdPercent[] {
  if (limit === null || limit <= 0) return [];
  return USAGE_THRESHOLD_PERCENTS.filter((percent) => used >= thresholdCount(limit, percent));
}

/** The alerts an app's current period calls for (already raised ones included: emitting them again is a no-op). */
export function usageThresholdEvents(input: {
  periodStartUnix: number;
  limits: { maxMessagesPerPeriod: number | null; maxConcurrentConnections: number | null };
  messagesUsed: number;
  peakConcurrent: number;
}): AppEventInput[] {
  const { periodStartUnix, limits } = input;
  return [
    ...reachedThresholds(input.messagesUsed, limits.maxMessagesPerPeriod).map(
      (percent): AppEventInput => ({ type: "usage.threshold", axis: "messages", percent, used: input.messagesUsed, limit: limits.maxMessagesPerPeriod ?? 0, periodStartUnix }),
    ),
    ...reachedThresholds(input.peakConcurrent, limits.maxConcurrentConnections).map(
      (percent): AppEventInput => ({ type: "usage.threshold", axis: "connections", percent, used: input.peakConcurrent, limit: limits.maxConcurrentConnections ?? 0, periodStartUnix }),
    ),
  ];
}

/**
 * Raises the usage alerts a period of the app (the one containing `at`: by default now) has reached and
 * not raised yet. Returns how many it raised.
 */
export async function checkUsageThresholds(db: Db, input: { appId: string; at?: Date }): Promise<number> {
  const now = new Date();
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { billingAnchor: true, plan: true, override: true, deletedAt: true } });
  if (!app || app.deletedAt) return 0;
  const period = billingPeriodAt(app.billingAnchor, input.at ?? now);
  const row = await db.usagePeriod.findUnique({ where: { appId_start: { appId: input.appId, start: period.start } }, select: { messagesUsed: true, peakConcurrent: true } });
  if (!row) return 0;
  const events = usageThresholdEvents({
    periodStartUnix: toUnixSeconds(period.start),
    limits: effectiveLimits(app.plan, app.override),
    messagesUsed: Number(row.messagesUsed),
    peakConcurrent: row.peakConcurrent,
  });
  let raised = 0;
  for (const event of events) if ((await emitAppEvent(db, { appId: input.appId, event, now })).emitted) raised++;
  return raised;
}
