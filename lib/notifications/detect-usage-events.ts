// Which events a usage flush raises from the batch itself: refusals (quota reached), the spend cap and a
// low balance. Pure, so the arithmetic is unit-tested; de-duplication is the database's job
// (emit-app-event.ts). Usage levels (75/90/100 %) are checked by a job against the counts the app has
// then (check-usage-thresholds.ts), so a lowered limit raises them too.
import type { AppEventInput } from "./app-event.types";

export interface UsageFlushFacts {
  periodStartUnix: number;
  /** Publish/send refused with over_message_quota in this batch. */
  refusedMessages: number;
  /** New connections refused with 4010 in this batch. */
  refusedConnections: number;
  /** Subscribes refused in this batch: `channel_quota_exceeded` (maxActiveChannels) and `channel_full` (maxPeersPerChannel). */
  refusedChannels: number;
  refusedChannelPeers: number;
  spend: { capMinor: number | null; beforeMinor: number; afterMinor: number };
  balance: { beforeMinor: number; afterMinor: number; lowThresholdMinor: number; autoRechargeEnabled: boolean };
}

export function detectUsageEvents(facts: UsageFlushFacts): AppEventInput[] {
  const { periodStartUnix } = facts;
  const events: AppEventInput[] = [];
  if (facts.refusedMessages > 0) events.push({ type: "quota.reached", axis: "messages", refused: facts.refusedMessages, periodStartUnix });
  if (facts.refusedConnections > 0) events.push({ type: "quota.reached", axis: "connections", refused: facts.refusedConnections, periodStartUnix });
  if (facts.refusedChannels > 0) events.push({ type: "quota.reached", axis: "channels", refused: facts.refusedChannels, periodStartUnix });
  if (facts.refusedChannelPeers > 0) events.push({ type: "quota.reached", axis: "channel_peers", refused: facts.refusedChannelPeers, periodStartUnix });
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
