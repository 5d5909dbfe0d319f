// The words of each event: the notification centre, the email and the webhook's `title`/`message`
// all say the same thing.
import type { PriceField } from "@/lib/billing/plan-prices";
import type { AnnouncedLimits, AppEventInput } from "./app-event.types";

export interface EventDescription {
  severity: "info" | "warning" | "critical";
  title: string;
  message: string;
}

const money = (minor: number) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);
const count = (value: number | null) => (value === null ? "unlimited" : new Intl.NumberFormat("en-US").format(value));
const PRICE_NAMES: Record<PriceField, string> = {
  monthlyPriceMinor: "monthly price",
  overagePricePer1000MessagesMinor: "overage per 1,000 messages",
  overagePricePerConnectionMinor: "overage per connection over the cap",
  pricePer1000ConnectionMinutesMinor: "per 1,000 connection-minutes",
  pricePer1000DeliveredMessagesMinor: "per 1,000 delivered messages",
  pricePerGbEgressMinor: "per GB of egress",
};
const axisName = { messages: "messages this period", connections: "concurrent connections", channels: "active channels" } as const;

function describeUsageLevel(event: Extract<AppEventInput, { type: "usage.threshold" }>): string {
  const limitName = event.limitSource === "override" ? "the limit an administrator set for this app" : "the plan limit";
  const reached = `${count(event.used)} of ${count(event.limit)} ${axisName[event.axis]}: ${event.percent}% of ${limitName}.`;
  const why = event.cause === "limit_lowered" ? " An administrator lowered the limit below what the app already uses." : "";
  const passed = event.passed?.length ? ` (This also passes ${event.passed.map((percent) => `${percent}%`).join(" and ")}.)` : "";
  let next = "";
  if (event.percent === 100 && event.axis === "channels") {
    next = " Subscribes that would open another channel are refused until a channel's last subscriber leaves or the limit is raised.";
  } else if (event.percent === 100 && event.overageBilling !== undefined) {
    const unit = event.axis === "messages" ? "messages" : "connections";
    next = event.overageBilling ? ` Overage billing has started: further ${unit} are charged from the balance.` : ` Further ${unit} are refused until the next period or a higher limit.`;
  }
  return `${reached}${why}${passed}${next}`;
}

/** The channel limits a change moved, as more of the same sentence (none: nothing). */
function channelLimitChanges(before: AnnouncedLimits, after: AnnouncedLimits): string {
  const names = { maxActiveChannels: "active channels", maxPeersPerChannel: "peers per channel" } as const;
  return (Object.keys(names) as (keyof typeof names)[])
    .filter((limit) => (before[limit] ?? null) !== (after[limit] ?? null))
    .map((limit) => `, ${names[limit]} ${count(before[limit] ?? null)} → ${count(after[limit] ?? null)}`)
    .join("");
}

function describeRefusals(event: Extract<AppEventInput, { type: "quota.reached" }>, appName: string): { title: string; message: string } {
  const refused = count(event.refused);
  switch (event.axis) {
    case "messages":
      return {
        title: `${appName}: messages are being refused`,
        message: `The relay refused ${refused} publish/send with over_message_quota. Raise the plan, turn on overages or add balance.`,
      };
    case "connections":
      return {
        title: `${appName}: connections are being refused`,
        message: `The relay refused ${refused} new connections with close code 4010. Raise the plan, turn on overages or add balance.`,
      };
    case "channels":
      return {
        title: `${appName}: subscribes to new channels are being refused`,
        message: `The relay refused ${refused} subscribes with channel_quota_exceeded: the app has as many channels with subscribers as its active channel limit allows. Raise the plan's limit or close idle channels.`,
      };
    case "channel_peers":
      return {
        title: `${appName}: full channels are refusing subscribers`,
        message: `The relay refused ${refused} subscribes with channel_full: a channel already holds as many peers as the per-channel limit allows. Raise the plan's limit or spread peers over more channels.`,
      };
  }
}

export function describeAppEvent(event: AppEventInput, appName: string): EventDescription {
  switch (event.type) {
    case "usage.threshold":
      return {
        severity: event.percent === 100 ? "critical" : event.percent === 90 ? "warning" : "info",
        title: `${appName}: ${event.percent}% of ${axisName[event.axis]} used`,
        message: describeUsageLevel(event),
      };
    case "quota.reached":
      return { severity: "critical", ...describeRefusals(event, appName) };
    case "spend_cap.reached":
      return {
        severity: "critical",
        title: `${appName}: monthly spend cap of ${money(event.capMinor)} reached`,
        message: "Usage charges stopped at the cap: usage beyond the plan is refused until the next period or until you raise the cap.",
      };
    case "balance.low":
      return {
        severity: "warning",
        title: `${appName}: team balance low (${money(event.balanceMinor)})`,
        message: `The team's balance, which all its apps pay from, is at or below ${money(event.thresholdMinor)} and auto-recharge is off. Top up to keep usage beyond the plan running.`,
      };
    case "auto_recharge.declined":
      return {
        severity: "critical",
        title: `${appName}: auto-recharge of ${money(event.amountMinor)} declined`,
        message: `The card ending ${event.cardLast4} was declined (${event.reason}). Update the card or top up by hand.`,
      };
    case "auto_recharge.ceiling_reached":
      return {
        severity: "warning",
        title: `${appName}: monthly auto-recharge ceiling reached`,
        message: `Auto-recharges this period total ${money(event.rechargedMinor)}; the ceiling is ${money(event.ceilingMinor)}, so no further recharge is made.`,
      };
    case "plan_fee.failed":
      return {
        severity: "critical",
        title: `${appName}: ${event.planName} fee of ${money(event.amountMinor)} could not be charged`,
        message: event.graceEndsAt
          ? `${event.reason}. The app is past due; it falls back to the Free plan's limits at ${event.graceEndsAt} unless the fee is paid.`
          : `${event.reason}. The app is past due.`,
      };
    case "plan_fee.grace_ended":
      return {
        severity: "critical",
        title: `${appName}: limited to the Free plan's limits (${event.planName} fee unpaid)`,
        message:
          `The ${event.planName} fee of ${money(event.amountMinor)} is still unpaid and the grace period ended at ${event.graceEndsAt}. ` +
          `New connections get the Free plan's limits and overages are off; live connections stay. Top up or update the card to restore ${event.planName}.`,
      };
    case "limits.changed":
      return {
        severity: "warning",
        title: `${appName}: limits changed by an administrator`,
        message:
          `Concurrent connections ${count(event.before.maxConcurrentConnections)} → ${count(event.after.maxConcurrentConnections)}, ` +
          `messages per period ${count(event.before.maxMessagesPerPeriod)} → ${count(event.after.maxMessagesPerPeriod)}${channelLimitChanges(event.before, event.after)}.`,
      };
    case "plan.prices_changed": {
      const changes = event.changes.map((change) => `${PRICE_NAMES[change.field]} ${money(change.before)} → ${money(change.after)}`).join(", ");
      const when = event.appliesFrom === "now" ? "They apply now, to the running billing period too." : "They apply from the app's next billing period; this period keeps its prices.";
      return {
        severity: "warning",
        title: `${appName}: ${event.planName} plan prices change`,
        message: `An administrator changed the prices of the ${event.planName} plan: ${changes}. ${when}`,
      };
    }
    case "app.suspended":
      return {
        severity: "critical",
        title: `${appName} was suspended`,
        message: event.reason ? `An administrator suspended the app: ${event.reason}` : "An administrator suspended the app.",
      };
    case "webhook.test":
      return { severity: "info", title: `${appName}: test event`, message: "A test event sent from the dashboard." };
  }
}
