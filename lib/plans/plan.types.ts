import { z } from "zod";
import { HistoryLimits } from "@tollgate/relay/protocol";
import { text } from "@/lib/validation/text";

const count = z.number().int().nonnegative().max(2_000_000_000);
const priceMinor = z.number().int().nonnegative().max(100_000_000);
const positive = z.number().int().positive().max(1_000_000);
/** At least 16 KB/s, so the byte budget's burst (4 s of it) holds a whole 64 KB frame. */
const bytesPerSecond = z.number().int().min(16 * 1024).max(1_000_000_000);
/** Channel history: messages kept per channel and seconds kept; 0 = off. */
const historySize = z.number().int().nonnegative().max(HistoryLimits.maxSize);
const historyTtlSeconds = z.number().int().nonnegative().max(HistoryLimits.maxTtlSeconds);
/** A channel limit (PROTOCOL §10): at least 1, since 0 would refuse every subscribe; null = none. */
const channelLimit = z.number().int().positive().max(2_000_000_000);

/** Every editable plan field; creation requires slug, name and kind, the rest default. */
const planFields = {
  name: text().trim().min(1).max(100),
  kind: z.enum(["free", "tiered", "unlimited", "pay_as_you_go"]),
  monthlyPriceMinor: priceMinor,
  maxConcurrentConnections: count.nullable(),
  maxMessagesPerPeriod: count.nullable(),
  overagesAllowed: z.boolean(),
  overagePricePer1000MessagesMinor: priceMinor,
  overagePricePerConnectionMinor: priceMinor,
  tokenBucketRefillPerSecond: positive,
  tokenBucketBurst: positive,
  connectAttemptsPerIpPerMinute: positive,
  controlFrameRefillPerSecond: positive,
  controlFrameBurst: positive,
  inboundBytesPerSecond: bytesPerSecond,
  historySize,
  historyTtlSeconds,
  maxPeersPerChannel: channelLimit.nullable(),
  maxActiveChannels: channelLimit.nullable(),
  freeConnectionMinutes: count,
  freeDeliveredMessages: count,
  freeEgressBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  pricePer1000ConnectionMinutesMinor: priceMinor,
  pricePer1000DeliveredMessagesMinor: priceMinor,
  pricePerGbEgressMinor: priceMinor,
  sortOrder: z.number().int().min(-1000).max(1000),
  isPublic: z.boolean(),
};

export const createPlanSchema = z
  .object({
    slug: text()
      .trim()
      .max(40)
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "Use 1–40 lowercase letters, digits and dashes"),
    ...planFields,
  })
  .partial()
  .required({ slug: true, name: true, kind: true })
  .strict();
export type CreatePlanBody = z.infer<typeof createPlanSchema>;

export const updatePlanSchema = z
  .object({
    ...planFields,
    /** Price edits reach each app at its next period; true applies them to the running period too. */
    applyPricesNow: z.boolean(),
  })
  .partial()
  .strict();
export type UpdatePlanBody = z.infer<typeof updatePlanSchema>;

export interface PlanView {
  id: string;
  slug: string;
  name: string;
  kind: "free" | "tiered" | "unlimited" | "pay_as_you_go";
  monthlyPriceMinor: number;
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean;
  overagePricePer1000MessagesMinor: number;
  overagePricePerConnectionMinor: number;
  tokenBucketRefillPerSecond: number;
  tokenBucketBurst: number;
  connectAttemptsPerIpPerMinute: number;
  controlFrameRefillPerSecond: number;
  controlFrameBurst: number;
  inboundBytesPerSecond: number;
  historySize: number;
  historyTtlSeconds: number;
  maxPeersPerChannel: number | null;
  maxActiveChannels: number | null;
  freeConnectionMinutes: number;
  freeDeliveredMessages: number;
  freeEgressBytes: number;
  pricePer1000ConnectionMinutesMinor: number;
  pricePer1000DeliveredMessagesMinor: number;
  pricePerGbEgressMinor: number;
  sortOrder: number;
  isPublic: boolean;
  /** Apps on the plan now (what a price edit affects). */
  appCount: number;
}

export const overrideSchema = z
  .object({
    maxConcurrentConnections: count.nullable(),
    maxMessagesPerPeriod: count.nullable(),
    overagesAllowed: z.boolean().nullable(),
    tokenBucketRefillPerSecond: positive.nullable(),
    tokenBucketBurst: positive.nullable(),
    connectAttemptsPerIpPerMinute: positive.nullable(),
    controlFrameRefillPerSecond: positive.nullable(),
    controlFrameBurst: positive.nullable(),
    inboundBytesPerSecond: bytesPerSecond.nullable(),
    historySize: historySize.nullable(),
    historyTtlSeconds: historyTtlSeconds.nullable(),
    maxPeersPerChannel: channelLimit.nullable(),
    maxActiveChannels: channelLimit.nullable(),
    note: text().trim().max(500).nullable(),
  })
  .partial()
  .strict();
export type OverrideBody = z.infer<typeof overrideSchema>;

export interface OverrideView {
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean | null;
  tokenBucketRefillPerSecond: number | null;
  tokenBucketBurst: number | null;
  connectAttemptsPerIpPerMinute: number | null;
  controlFrameRefillPerSecond: number | null;
  controlFrameBurst: number | null;
  inboundBytesPerSecond: number | null;
  historySize: number | null;
  historyTtlSeconds: number | null;
  maxPeersPerChannel: number | null;
  maxActiveChannels: number | null;
  note: string | null;
  updatedAt: string;
}
