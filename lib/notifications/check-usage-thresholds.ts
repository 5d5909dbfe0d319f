// Usage alerts (75 / 90 / 100 % of the messages and connection limits) as a job (lib/jobs): run after a
// usage flush changed an app's counts and after an admin changed its limits, so an alert follows the
// numbers the app has now, whichever of the two moved. Each level is raised once per period whatever
// runs it how often (the event's dedupe key, emit-app-event.ts).
import type { Db, Prisma } from "@/lib/db";
import { AHEAD_OF_DELIVERIES, enqueueJob } from "@/lib/jobs/enqueue-job";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { type AppEventInput, dedupeKeyOf, type LimitAxis, USAGE_THRESHOLD_PERCENTS, type UsageThresholdPercent } from "./app-event.types";
import { emitAppEvent } from "./emit-app-event";

export const USAGE_THRESHOLDS_JOB = "check-usage-thresholds";

/**
 * Queues the check for an app (one pending per app and period: more flushes before it runs add nothing).
 */
export async function queueUsageThresholdCheck(
  tx: Db | Prisma.TransactionClient,
  input: { appId: string; periodStartUnix?: number; cause?: UsageLevelCause },
): Promise<void> {
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

export type UsageLevelCause = "usage" | "limit_lowered";

/**
 * The alerts an app's period calls for: per axis, the highest level reached unless that level or a higher
 * one was raised already (`raised`); lower levels reached at the same time are named in it, not raised
 * on their own, so a jump past several levels (a big flush, a lowered limit) is one alert.
 */
export function usageThresholdEvents(input: {
  periodStartUnix: number;
  limits: { maxMessagesPerPeriod: number | null; maxConcurrentConnections: number | null; maxActiveChannels: number | null };
  messagesUsed: number;
  peakConcurrent: number;
  peakActiveChannels: number;
  raised: Record<LimitAxis, UsageThresholdPercent[]>;
  cause: UsageLevelCause;
  limitSource: Record<LimitAxis, "plan" | "override">;
  overageBilling: boolean;
}): AppEventInput[] {
  const axes = [
    { axis: "messages" as const, used: input.messagesUsed, limit: input.limits.maxMessagesPerPeriod, overageBilling: input.overageBilling },
    { axis: "connections" as const, used: input.peakConcurrent, limit: input.limits.maxConcurrentConnections, overageBilling: input.overageBilling },
    // Channels have no overage: past the limit a new channel is refused.
    { axis: "channels" as const, used: input.peakActiveChannels, limit: input.limits.maxActiveChannels, overageBilling: false },
  ];
  return axes.flatMap(({ axis, used, limit, overageBilling }): AppEventInput[] => {
    const reached = reachedThresholds(used, limit);
    const top = reached.at(-1);
    const highestRaised = Math.max(0, ...input.raised[axis]);
    if (top === undefined || top <= highestRaised) return [];
    return [
      {
        type: "usage.threshold",
        axis,
        percent: top,
        used,
        limit: limit ?? 0,
        periodStartUnix: input.periodStartUnix,
        passed: reached.filter((percent) => percent < top && percent > highestRaised),
        cause: input.cause,
        limitSource: input.limitSource[axis],
        ...(top === 100 ? { overageBilling } : {}),
      },
    ];
  });
}

/**
 * Raises the usage alert a period of the app (the one containing `at`: by default now) calls for.
 * Returns how many it raised.
 */
export async function checkUsageThresholds(db: Db, input: { appId: string; at?: Date; cause?: UsageLevelCause }): Promise<number> {
  const now = new Date();
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { billingAnchor: true, plan: true, override: true, overagesEnabled: true, deletedAt: true } });
  if (!app || app.deletedAt) return 0;
  const period = billingPeriodAt(app.billingAnchor, input.at ?? now);
  const row = await db.usagePeriod.findUnique({
    where: { appId_start: { appId: input.appId, start: period.start } },
    select: { messagesUsed: true, peakConcurrent: true, peakActiveChannels: true },
  });
  if (!row) return 0;
  const periodStartUnix = toUnixSeconds(period.start);
  const limits = effectiveLimits(app.plan, app.override);
  const raisedOf = async (axis: LimitAxis): Promise<UsageThresholdPercent[]> => {
    const keys = USAGE_THRESHOLD_PERCENTS.map((percent) => dedupeKeyOf(input.appId, { type: "usage.threshold", axis, percent, used: 0, limit: 0, periodStartUnix }));
    const rows = await db.appEvent.findMany({ where: { dedupeKey: { in: keys } }, select: { dedupeKey: true } });
    return USAGE_THRESHOLD_PERCENTS.filter((_, index) => rows.some((event) => event.dedupeKey === keys[index]));
  };
  const events = usageThresholdEvents({
    periodStartUnix,
    limits,
    messagesUsed: Number(row.messagesUsed),
    peakConcurrent: row.peakConcurrent,
    peakActiveChannels: row.peakActiveChannels,
    raised: { messages: await raisedOf("messages"), connections: await raisedOf("connections"), channels: await raisedOf("channels") },
    cause: input.cause ?? "usage",
    limitSource: {
      messages: app.override?.maxMessagesPerPeriod != null ? "override" : "plan",
      connections: app.override?.maxConcurrentConnections != null ? "override" : "plan",
      channels: app.override?.maxActiveChannels != null ? "override" : "plan",
    },
    overageBilling: limits.overagesAllowed && app.overagesEnabled,
  });
  let raised = 0;
  for (const event of events) if ((await emitAppEvent(db, { appId: input.appId, event, now })).emitted) raised++;
  return raised;
}
