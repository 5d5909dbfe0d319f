import { z } from "zod";
import { text } from "@/lib/validation/text";

const status = z.enum(["healthy", "warning", "critical"]);
const count = z.number().int().nonnegative();

/** GET /v1/usage and GET /api/apps/:appId/usage (PROTOCOL §7 plus Tollgate's additions). */
export const usageResponseSchema = z.object({
  appId: text(),
  periodStartUnix: z.number().int(),
  periodEndUnix: z.number().int(),
  concurrentNow: count,
  peakConcurrent: count,
  messagesUsed: count,
  overageMessages: count,
  overageConnections: count,
  plan: z.object({
    name: text(),
    maxConcurrentConnections: count.nullable(),
    maxMessagesPerPeriod: count.nullable(),
    overagesAllowed: z.boolean(),
    overagesEnabled: z.boolean(),
  }),
  status: z.object({ connections: status, messages: status }),
  deliveredMessages: count,
  egressBytes: count,
  connectionMinutes: count,
  softDrops: count,
  overageCostMinor: count,
  projectedCostMinor: count,
  balanceMinor: z.number().int(),
  /** false when no relay answered: concurrentNow is then 0 and the numbers are as of the last flush. */
  relayReachable: z.boolean(),
});
export type UsageResponse = z.infer<typeof usageResponseSchema>;

export const usageSeriesQuerySchema = z.object({ range: z.enum(["hour", "day", "period"]).default("hour") });
export type UsageRange = z.infer<typeof usageSeriesQuerySchema>["range"];

export interface UsagePoint {
  tUnix: number;
  messages: number;
  delivered: number;
  egressBytes: number;
  peakConcurrent: number;
  softDrops: number;
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
