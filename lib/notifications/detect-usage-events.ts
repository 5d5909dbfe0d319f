// Which events a usage flush raises, from the period's totals before and after the batch. Pure, so
// the threshold arithmetic is unit-tested; de-duplication is the database's job (emit-app-event.ts),
// this only has to notice each crossing at least once.
import { type AppEventInput, USAGE_THRESHOLD_PERCENTS, type UsageThresholdPercent } from "./app-event.types";

/** The used count at which `percent` of `limit` is reached (at least 1, so a limit of 1 has one step). */
export function thresholdCount(limit: number, percent: UsageThresholdPercent): number {
  return Math.max(1, Math.ceil((limit * percent) / 100));
}

/** The thresholds a move from `before` to `after` reaches for the first time. A null or zero limit has none. */
export function crossedThresholds(input: { before: number; after: number; limit: number | null }): UsageThresholdPercent[] {
  const { before, after, limit } = input;
  if (limit === null || limit <= 0) return [];
  return USAGE_THRESHOLD_PERCENTS.filter((percent) => {
    const at = thresholdCount(limit, percent);
    return before < at && after >= at;
  });
}

export interface UsageFlushFacts {
  periodStartUnix: number;
  limits: { maxMessagesPerPeriod: number | null; maxConcurrentConnections: number | null };
  messagesUsed: { before: number; after: number };
  peakConcurrent: { before: number; after: number };
  /** Publish/send refused with over_message_quota in this batch. */
  refusedMessages: number;
  /** New connections refused with 4010 in this batch. */
  refusedConnections: number;
  spend: { capMinor: number | null; beforeMinor: number; afterMinor: number };
  balance: { beforeMinor: number; afterMinor: number; lowThresholdMinor: number; autoRechargeEnabled: boolean };
}

export function detectUsageEvents(facts: UsageFlushFacts): AppEventInput[] {
  const { periodStartUnix } = facts;
  const events: AppEventInput[] = [];
  for (const percent of crossedThresholds({ ...facts.messagesUsed, limit: facts.limits.maxMessagesPerPeriod })) {
    events.push({ type: "usage.threshold", axis: "messages", percent, used: facts.messagesUsed.after, limit: facts.limits.maxMessagesPerPeriod ?? 0, periodStartUnix });
  }
  for (const percent of crossedThresholds({ ...facts.peakConcurrent, limit: facts.limits.maxConcurrentConnections })) {
    events.push({
      type: "usage.threshold",
      axis: "connections",
      percent,
      used: facts.peakConcurrent.after,
      limit: facts.limits.maxConcurrentConnections ?? 0,
      periodStartUnix,
    });
  }
  if (facts.refusedMessages > 0) events.push({ type: "quota.reached", axis: "messages", refused: facts.refusedMessages, periodStartUnix });
  if (facts.refusedConnections > 0) events.push({ type: "quota.reached", axis: "connections", refused: facts.refusedConnections, periodStartUnix });
  const { capMinor } = facts.spend;
  if (capMinor !== null && facts.spend.beforeMinor < capMinor && facts.spend.afterMinor >= capMinor) {
    events.push({ type: "spend_cap.reached", capMinor, periodStartUnix });
  }
  const { balance } = facts;
  // With auto-recharge on, a low balance is refilled; a failed refill is announced as its own event.
  if (!balance.autoRechargeEnabled && balance.beforeMinor > balance.lowThresholdMinor && balance.afterMinor <= balance.lowThresholdMinor) {
    events.push({ type: "balance.low", balanceMinor: balance.afterMinor, thresholdMinor: balance.lowThresholdMinor, periodStartUnix });
  }
  return events;
}
