// Effective limits = the plan's values with the app's admin override applied field by field
// (a null override field means "use the plan's value").
import type { AppLimitOverride, Plan } from "@/lib/generated/prisma/client";
import type { OverrideView, PlanView } from "./plan.types";

export interface EffectiveLimits {
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean;
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
}

type PlanLimitFields = Pick<
  Plan,
  | "maxConcurrentConnections"
  | "maxMessagesPerPeriod"
  | "overagesAllowed"
  | "tokenBucketRefillPerSecond"
  | "tokenBucketBurst"
  | "connectAttemptsPerIpPerMinute"
  | "controlFrameRefillPerSecond"
  | "controlFrameBurst"
  | "inboundBytesPerSecond"
  | "historySize"
  | "historyTtlSeconds"
  | "maxPeersPerChannel"
  | "maxActiveChannels"
>;
type OverrideFields = Pick<
  AppLimitOverride,
  | "maxConcurrentConnections"
  | "maxMessagesPerPeriod"
  | "overagesAllowed"
  | "tokenBucketRefillPerSecond"
  | "tokenBucketBurst"
  | "connectAttemptsPerIpPerMinute"
  | "controlFrameRefillPerSecond"
  | "controlFrameBurst"
  | "inboundBytesPerSecond"
  | "historySize"
  | "historyTtlSeconds"
  | "maxPeersPerChannel"
  | "maxActiveChannels"
>;

export function effectiveLimits(plan: PlanLimitFields, override: OverrideFields | null): EffectiveLimits {
  return {
    maxConcurrentConnections: override?.maxConcurrentConnections ?? plan.maxConcurrentConnections,
    maxMessagesPerPeriod: override?.maxMessagesPerPeriod ?? plan.maxMessagesPerPeriod,
    overagesAllowed: override?.overagesAllowed ?? plan.overagesAllowed,
    tokenBucketRefillPerSecond: override?.tokenBucketRefillPerSecond ?? plan.tokenBucketRefillPerSecond,
    tokenBucketBurst: override?.tokenBucketBurst ?? plan.tokenBucketBurst,
    connectAttemptsPerIpPerMinute: override?.connectAttemptsPerIpPerMinute ?? plan.connectAttemptsPerIpPerMinute,
    controlFrameRefillPerSecond: override?.controlFrameRefillPerSecond ?? plan.controlFrameRefillPerSecond,
    controlFrameBurst: override?.controlFrameBurst ?? plan.controlFrameBurst,
    inboundBytesPerSecond: override?.inboundBytesPerSecond ?? plan.inboundBytesPerSecond,
    historySize: override?.historySize ?? plan.historySize,
    historyTtlSeconds: override?.historyTtlSeconds ?? plan.historyTtlSeconds,
    maxPeersPerChannel: override?.maxPeersPerChannel ?? plan.maxPeersPerChannel,
    maxActiveChannels: override?.maxActiveChannels ?? plan.maxActiveChannels,
  };
}

export function toPlanView(plan: Plan, appCount = 0): PlanView {
  return {
    id: plan.id,
    slug: plan.slug,
    name: plan.name,
    kind: plan.kind,
    monthlyPriceMinor: plan.monthlyPriceMinor,
    maxConcurrentConnections: plan.maxConcurrentConnections,
    maxMessagesPerPeriod: plan.maxMessagesPerPeriod,
    overagesAllowed: plan.overagesAllowed,
    overagePricePer1000MessagesMinor: plan.overagePricePer1000MessagesMinor,
    overagePricePerConnectionMinor: plan.overagePricePerConnectionMinor,
    tokenBucketRefillPerSecond: plan.tokenBucketRefillPerSecond,
    tokenBucketBurst: plan.tokenBucketBurst,
    connectAttemptsPerIpPerMinute: plan.connectAttemptsPerIpPerMinute,
    controlFrameRefillPerSecond: plan.controlFrameRefillPerSecond,
    controlFrameBurst: plan.controlFrameBurst,
    inboundBytesPerSecond: plan.inboundBytesPerSecond,
    historySize: plan.historySize,
    historyTtlSeconds: plan.historyTtlSeconds,
    maxPeersPerChannel: plan.maxPeersPerChannel,
    maxActiveChannels: plan.maxActiveChannels,
    freeConnectionMinutes: plan.freeConnectionMinutes,
    freeDeliveredMessages: plan.freeDeliveredMessages,
    freeEgressBytes: Number(plan.freeEgressBytes),
    pricePer1000ConnectionMinutesMinor: plan.pricePer1000ConnectionMinutesMinor,
    pricePer1000DeliveredMessagesMinor: plan.pricePer1000DeliveredMessagesMinor,
    pricePerGbEgressMinor: plan.pricePerGbEgressMinor,
    sortOrder: plan.sortOrder,
    isPublic: plan.isPublic,
    appCount,
  };
}

export function toOverrideView(override: AppLimitOverride | null): OverrideView | null {
  if (!override) return null;
  return {
    maxConcurrentConnections: override.maxConcurrentConnections,
    maxMessagesPerPeriod: override.maxMessagesPerPeriod,
    overagesAllowed: override.overagesAllowed,
    tokenBucketRefillPerSecond: override.tokenBucketRefillPerSecond,
    tokenBucketBurst: override.tokenBucketBurst,
    connectAttemptsPerIpPerMinute: override.connectAttemptsPerIpPerMinute,
    controlFrameRefillPerSecond: override.controlFrameRefillPerSecond,
    controlFrameBurst: override.controlFrameBurst,
    inboundBytesPerSecond: override.inboundBytesPerSecond,
    historySize: override.historySize,
    historyTtlSeconds: override.historyTtlSeconds,
    maxPeersPerChannel: override.maxPeersPerChannel,
    maxActiveChannels: override.maxActiveChannels,
    note: override.note,
    updatedAt: override.updatedAt.toISOString(),
  };
}
