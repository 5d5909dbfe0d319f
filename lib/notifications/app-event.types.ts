// The events an app's members are told about (dashboard, email, signed webhooks). Each event names the
// occasion it belongs to (`dedupeKeyOf`): the database keeps one event per key, so a threshold fires
// once per period however many usage flushes detect it, and concurrently.
import { z } from "zod";
import type { PriceField as PlanPriceField } from "@/lib/billing/plan-prices";
import { text } from "@/lib/validation/text";

export const USAGE_THRESHOLD_PERCENTS = [75, 90, 100] as const;
export type UsageThresholdPercent = (typeof USAGE_THRESHOLD_PERCENTS)[number];
/** The limits usage levels are raised for: messages per period, concurrent connections, active channels. */
export type LimitAxis = "messages" | "connections" | "channels";
/** What the relay refuses: messages, connections, or subscribes past a channel limit (active channels, peers per channel). */
export type RefusalAxis = LimitAxis | "channel_peers";

/** The limits a `limits.changed` event names; the channel limits are absent on events raised before they existed. */
export interface AnnouncedLimits {
  maxConcurrentConnections: number | null;
  maxMessagesPerPeriod: number | null;
  maxPeersPerChannel?: number | null;
  maxActiveChannels?: number | null;
}

export type AppEventInput =
  /**
   * Period usage reached 75, 90 or 100 % of a limit (messages per period, peak connections, peak active
   * channels): the highest
   * level reached, once. `passed`: lower levels reached at the same time and not announced on their own;
   * `cause`: more use, or a limit an admin lowered; `limitSource`: the plan's limit or the app's override;
   * `overageBilling` (at 100 %): whether use past the limit is now billed (else refused). The last four are
   * absent on events raised before they existed.
   */
  | {
      type: "usage.threshold";
      axis: LimitAxis;
      percent: UsageThresholdPercent;
      used: number;
      limit: number;
      periodStartUnix: number;
      passed?: UsageThresholdPercent[];
      cause?: "usage" | "limit_lowered";
      limitSource?: "plan" | "override";
      overageBilling?: boolean;
    }
  /**
   * The relay started refusing: messages with `over_message_quota`, connections with 4010, subscribes with
   * `channel_quota_exceeded` (axis `channels`) or `channel_full` (axis `channel_peers`).
   */
  | { type: "quota.reached"; axis: RefusalAxis; refused: number; periodStartUnix: number }
  /** Usage charges reached the app's monthly spend cap; further usage is refused until the next period. */
  | { type: "spend_cap.reached"; capMinor: number; periodStartUnix: number }
  /** A usage charge of the app took the team's balance to its low-balance threshold with auto-recharge off. */
  | { type: "balance.low"; balanceMinor: number; thresholdMinor: number; periodStartUnix: number }
  /** The card declined an auto-recharge (once per card and period). */
  | { type: "auto_recharge.declined"; amountMinor: number; reason: string; cardLast4: string; periodStartUnix: number }
  /** An auto-recharge was refused because it would pass the monthly ceiling. */
  | { type: "auto_recharge.ceiling_reached"; ceilingMinor: number; rechargedMinor: number; periodStartUnix: number }
  /**
   * The plan's monthly fee could not be charged; the app is past due (graceEndsAt: when it falls back to
   * Free's limits, ISO 8601, or null when no grace applies). Once per period.
   */
  | { type: "plan_fee.failed"; planName: string; amountMinor: number; reason: string; periodStartUnix: number; graceEndsAt: string | null }
  /**
   * The grace period of a past-due fee ended unpaid: new connections now get the Free plan's limits (and
   * no overages) until the fee is paid. periodStartUnix is the past-due period's. Once per period.
   */
  | { type: "plan_fee.grace_ended"; planName: string; amountMinor: number; periodStartUnix: number; graceEndsAt: string }
  /**
   * A platform admin changed limits that apply to the app (its override, or its plan). `changeId` is
   * unique per change (an audit id or the change's timestamp), so every change is announced once.
   */
  | {
      type: "limits.changed";
      source: "override" | "plan";
      changeId: string;
      before: AnnouncedLimits;
      after: AnnouncedLimits;
    }
  /**
   * A platform admin changed the prices of the app's plan. `changes` lists each price that moved (minor
   * units); `appliesFrom`: the app's next billing period, or `now` (the running period too).
   */
  | {
      type: "plan.prices_changed";
      planName: string;
      changeId: string;
      appliesFrom: "next_period" | "now";
      changes: { field: PlanPriceField; before: number; after: number }[];
    }
  /** A platform admin suspended the app; `changeId` is unique per suspension. */
  | { type: "app.suspended"; reason: string | null; changeId: string }
  /** "Send test event" on a webhook endpoint: delivered to that endpoint only, not listed in the dashboard. */
  | { type: "webhook.test"; endpointId: string; requestId: string };

export type AppEventType = AppEventInput["type"];

/** The event types an endpoint can choose to receive (webhook.test always reaches the endpoint it tests). */
export const WEBHOOK_EVENT_TYPES = [
  "usage.threshold",
  "quota.reached",
  "spend_cap.reached",
  "balance.low",
  "auto_recharge.declined",
  "auto_recharge.ceiling_reached",
  "plan_fee.failed",
  "plan_fee.grace_ended",
  "limits.changed",
  "plan.prices_changed",
  "app.suspended",
] as const satisfies readonly Exclude<AppEventType, "webhook.test">[];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Events that raise a banner in the dashboard until read. */
export const BANNER_EVENT_TYPES: readonly AppEventType[] = ["quota.reached", "spend_cap.reached", "auto_recharge.declined", "plan_fee.failed", "plan_fee.grace_ended", "app.suspended"];

export function dedupeKeyOf(appId: string, event: AppEventInput): string {
  switch (event.type) {
    case "usage.threshold":
      return `${appId}:${event.type}:${event.axis}:${event.percent}:${event.periodStartUnix}`;
    case "quota.reached":
      return `${appId}:${event.type}:${event.axis}:${event.periodStartUnix}`;
    case "spend_cap.reached":
    case "balance.low":
    case "auto_recharge.ceiling_reached":
    case "plan_fee.failed":
    case "plan_fee.grace_ended":
      return `${appId}:${event.type}:${event.periodStartUnix}`;
    case "auto_recharge.declined":
      return `${appId}:${event.type}:${event.cardLast4}:${event.periodStartUnix}`;
    case "limits.changed":
    case "plan.prices_changed":
    case "app.suspended":
      return `${appId}:${event.type}:${event.changeId}`;
    case "webhook.test":
      return `${appId}:${event.type}:${event.requestId}`;
  }
}

export const notificationListQuerySchema = z.object({
  appId: text().min(1).max(64).optional(),
  unreadOnly: z.enum(["true", "false"]).optional(),
});

export const markReadSchema = z.union([
  z.object({ eventIds: z.array(text().min(1).max(64)).min(1).max(200) }).strict(),
  z.object({ all: z.literal(true), appId: text().min(1).max(64).optional() }).strict(),
]);
export type MarkReadBody = z.infer<typeof markReadSchema>;

export interface NotificationView {
  id: string;
  appId: string;
  appName: string;
  type: AppEventType;
  severity: "info" | "warning" | "critical";
  title: string;
  message: string;
  data: unknown;
  banner: boolean;
  readAt: string | null;
  createdAt: string;
}
