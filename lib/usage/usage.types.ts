import { LIVE_USAGE_MAX_NODES } from "@tollgate/relay/protocol";
import { z } from "zod";
import { responseText } from "@/lib/validation/text";
import { DEFAULT_LIVE_USAGE_TIMING } from "./live-usage.types";

const LATE_AFTER_SECONDS = DEFAULT_LIVE_USAGE_TIMING.lateAfterMs / 1000;

const status = z.enum(["healthy", "warning", "critical"]);
const count = z.number().int().nonnegative();
const allowanceUse = z.object({ used: count, free: count });

/** GET /v1/usage and GET /api/apps/:appId/usage (PROTOCOL §7 plus Tollgate's additions). */
export const usageResponseSchema = z.object({
  appId: responseText(),
  periodStartUnix: z.number().int(),
  periodEndUnix: z.number().int(),
  concurrentNow: count,
  peakConcurrent: count.describe("The most connections open at any moment of the period"),
  activeChannels: count.describe(
    "Channels with at least one subscriber now across relay nodes (wildcard subscriptions aside): what maxActiveChannels counts",
  ),
  messagesUsed: count.describe(
    "Accepted publish/send this period (WebSocket and REST), those billed as overage included. Refused ones (over_message_quota) are counted only in softDrops, never here",
  ),
  overageMessages: count.describe("Accepted messages past the plan's quota, billed at the overage rate"),
  overageConnections: count,
  plan: z.object({
    name: responseText(),
    kind: z.enum(["free", "tiered", "unlimited", "pay_as_you_go"]).describe("pay_as_you_go has no caps and no overages: usage beyond the free allowance is charged"),
    maxConcurrentConnections: count.nullable(),
    maxMessagesPerPeriod: count.nullable(),
    maxPeersPerChannel: count.nullable().describe("Distinct peers one channel may hold across relay nodes (more: channel_full); null: no limit"),
    maxActiveChannels: count.nullable().describe("Channels with a subscriber the app may have across relay nodes (more: channel_quota_exceeded); null: no limit"),
    overagesAllowed: z.boolean(),
    overagesEnabled: z.boolean(),
  }),
  status: z.object({ connections: status, messages: status, channels: status.describe("activeChannels against maxActiveChannels") }),
  deliveredMessages: count,
  egressBytes: count,
  connectionMinutes: count,
  softDrops: count.describe("Publish/send refused with over_message_quota this period; not counted in messagesUsed"),
  allowance: z
    .object({ connectionMinutes: allowanceUse, deliveredMessages: allowanceUse, egressBytes: allowanceUse.describe("Billable egress: payloads in whole 4 KB blocks") })
    .nullable()
    .describe("Pay-as-you-go only (null otherwise): this period's free allowance, used against free"),
  overageCostMinor: count.describe("Usage charges so far this period: overage on capped plans, usage beyond the free allowance on pay as you go"),
  projectedCostMinor: count,
  balanceMinor: z.number().int(),
  measuredAt: responseText().describe(
    "When the live figures were measured (ISO 8601): the oldest relay node's last report; the saved totals' time when no relay has reported",
  ),
  stale: z
    .boolean()
    .describe(`A relay node's figures are late: its last report is older than ${LATE_AFTER_SECONDS} s (figures stay at what it last reported, never lower)`),
  relayNodes: z
    .array(
      z.object({
        node: responseText().describe("A relay node's stable opaque name"),
        measuredAt: responseText().describe("When its last report arrived (ISO 8601)"),
        stale: z.boolean(),
      }),
    )
    .max(LIVE_USAGE_MAX_NODES)
    .describe("Each relay node whose figures are included, with its freshness"),
  /** The opposite of `stale`, kept for clients written before it. */
  relayReachable: z.boolean(),
});
export type UsageResponse = z.infer<typeof usageResponseSchema>;

export const usageSeriesQuerySchema = z.object({ range: z.enum(["hour", "day", "period"]).default("hour") });
export type UsageRange = z.infer<typeof usageSeriesQuerySchema>["range"];

/** One bucket of a series: sums over its minutes, and the busiest single minute for the per-minute figures. */
export interface UsagePoint {
  tUnix: number;
  /** Accepted publish/send (overage-billed included). */
  messages: number;
  /** Refused publish/send (over the message quota): soft drops, never counted against the quota. */
  softDrops: number;
  /** The bucket's busiest minute: most accepted / refused messages in one minute (equal to the sums on one-minute buckets). */
  peakMessagesPerMinute: number;
  peakSoftDropsPerMinute: number;
  delivered: number;
  egressBytes: number;
  /** The most connections open at any moment of the bucket (the maximum of its per-minute peaks). */
  peakConcurrent: number;
  connectionMinutes: number;
}

export interface UsageSeries {
  range: UsageRange;
  bucketSec: number;
  fromUnix: number;
  toUnix: number;
  points: UsagePoint[];
  outcomes: { delivered: number; softDrops: number; closesByCode: Record<string, number> };
}
