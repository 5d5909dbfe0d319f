// Response shapes of the session-authenticated dashboard API (docs/dashboard-api.md). The pages only read
// these; the route handlers own them.
import type { Action, UsageStatus } from "@tollgate/relay/protocol";

export type PlanKind = "free" | "tiered" | "unlimited" | "pay_as_you_go";

export interface EffectiveLimits {
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean;
  tokenBucketRefillPerSecond: number;
  tokenBucketBurst: number;
  connectAttemptsPerIpPerMinute: number;
}

export interface Override {
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean | null;
  tokenBucketRefillPerSecond: number | null;
  tokenBucketBurst: number | null;
  connectAttemptsPerIpPerMinute: number | null;
  note: string | null;
  updatedAt: string;
}

export interface Plan {
  id: string;
  slug: string;
  name: string;
  kind: PlanKind;
  monthlyPriceMinor: number;
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  overagesAllowed: boolean;
  overagePricePer1000MessagesMinor: number;
  overagePricePerConnectionMinor: number;
  tokenBucketRefillPerSecond: number;
  tokenBucketBurst: number;
  connectAttemptsPerIpPerMinute: number;
  freeConnectionMinutes: number;
  freeDeliveredMessages: number;
  freeEgressBytes: number;
  pricePer1000ConnectionMinutesMinor: number;
  pricePer1000DeliveredMessagesMinor: number;
  pricePerGbEgressMinor: number;
  sortOrder: number;
  isPublic: boolean;
}

export interface App {
  id: string;
  name: string;
  tenantId: string;
  tenantName: string;
  status: "active" | "suspended";
  overagesEnabled: boolean;
  plan: { id: string; slug: string; name: string; kind: PlanKind; overagesAllowed: boolean };
  limits: EffectiveLimits;
  override: Override | null;
  billingAnchor: string;
  period: { start: string; end: string };
  relayUrl: string;
  createdAt: string;
}

export type KeyKind = "secret" | "publishable";

export interface Key {
  id: string;
  kind: KeyKind;
  name: string;
  secretPrefix: string | null;
  channelPatterns: string[];
  actions: Action[];
  allowedOrigins: string[];
  status: "active" | "expiring" | "expired" | "revoked";
  revokedAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  rolledFromId: string | null;
}

export interface Usage {
  appId: string;
  periodStartUnix: number;
  periodEndUnix: number;
  concurrentNow: number;
  peakConcurrent: number;
  messagesUsed: number;
  overageMessages: number;
  overageConnections: number;
  plan: {
    name: string;
    maxConcurrentConnections: number | null;
    maxMessagesPerPeriod: number | null;
    overagesAllowed: boolean;
    overagesEnabled: boolean;
  };
  status: { connections: UsageStatus; messages: UsageStatus };
  deliveredMessages: number;
  egressBytes: number;
  connectionMinutes: number;
  softDrops: number;
  overageCostMinor: number;
  projectedCostMinor: number;
  balanceMinor: number;
  relayReachable: boolean;
}

export type SeriesRange = "hour" | "day" | "period";

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
  range: SeriesRange;
  bucketSec: number;
  fromUnix: number;
  toUnix: number;
  points: UsagePoint[];
  outcomes: { delivered: number; softDrops: number; closesByCode: Record<string, number> };
}

export interface LedgerEntry {
  id: string;
  kind: "top_up" | "overage_debit" | "auto_recharge" | "refund" | "adjustment";
  amountMinor: number;
  balanceAfterMinor: number;
  description: string;
  reference: string | null;
  createdAt: string;
}

export interface PaymentAttempt {
  id: string;
  kind: "top_up" | "auto_recharge";
  status: "succeeded" | "declined";
  amountMinor: number;
  failureReason: string | null;
  trigger: string;
  createdAt: string;
}

export interface AutoRecharge {
  enabled: boolean;
  thresholdMinor: number;
  amountMinor: number;
}

export interface PaymentMethod {
  ref: string;
  brand: string;
  last4: string;
}

export interface Billing {
  balanceMinor: number;
  currency: string;
  autoRecharge: AutoRecharge;
  paymentMethod: PaymentMethod | null;
  ledger: LedgerEntry[];
  attempts: PaymentAttempt[];
  overageCostMinor: number;
  projectedCostMinor: number;
  period: { start: string; end: string };
  testCards: { number: string; outcome: string }[];
}

export interface AuditEntry {
  id: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  at: string;
}

export interface AdminTenant {
  id: string;
  name: string;
  createdAt: string;
  appCount: number;
  members: { userId: string; email: string; role: string }[];
}

export type AdminApp = App & { balanceMinor: number };
