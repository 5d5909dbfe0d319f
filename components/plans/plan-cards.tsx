"use client";
import type { Plan } from "@/components/api-types";
import { formatBytes, formatLimit, formatMoney, formatNumber } from "@/components/format";

interface PlanCardsProps {
  plans: readonly Plan[];
  selectedSlug: string;
  onSelect(slug: string): void;
  /** The app's plan now, marked "Current" (on the plan page). */
  currentSlug?: string;
  legend: string;
  disabled?: boolean;
}

function priceLine(plan: Plan): string {
  const monthly = `${formatMoney(plan.monthlyPriceMinor).replace(/\.00$/, "")} / month`;
  return plan.kind === "pay_as_you_go" ? `${monthly} + usage` : monthly;
}

/** The optional channel limits, in words; null when the plan sets neither. */
export function channelLimitsText(limits: { maxPeersPerChannel: number | null; maxActiveChannels: number | null }): string | null {
  const parts = [
    limits.maxActiveChannels === null ? null : `${formatNumber(limits.maxActiveChannels)} active channels`,
    limits.maxPeersPerChannel === null ? null : `${formatNumber(limits.maxPeersPerChannel)} peers per channel`,
  ].filter((part) => part !== null);
  return parts.length === 0 ? null : parts.join(", ");
}

/** Limits, then what going past them costs, in the same order on every card so they compare side by side. */
function planLines(plan: Plan): string[] {
  if (plan.kind === "pay_as_you_go") {
    return [
      `${formatNumber(plan.freeConnectionMinutes)} connection-minutes free, then ${formatMoney(plan.pricePer1000ConnectionMinutesMinor)} per 1,000`,
      `${formatNumber(plan.freeDeliveredMessages)} deliveries free, then ${formatMoney(plan.pricePer1000DeliveredMessagesMinor)} per 1,000`,
      // Egress is priced per decimal gigabyte (10^9 bytes), as the plan stores it.
      `${formatBytes(plan.freeEgressBytes)} egress free, then ${formatMoney(plan.pricePerGbEgressMinor)} per GB`,
      "Paid from a prepaid balance",
    ];
  }
  const channels = channelLimitsText(plan);
  return [
    `${formatLimit(plan.maxConcurrentConnections)} concurrent connections`,
    `${formatLimit(plan.maxMessagesPerPeriod)} messages per month`,
    ...(channels ? [`At most ${channels}`] : []),
    plan.overagesAllowed
      ? `Overages: ${formatMoney(plan.overagePricePer1000MessagesMinor)} per 1,000 messages, ${formatMoney(plan.overagePricePerConnectionMinor)} per extra connection`
      : plan.maxConcurrentConnections === null && plan.maxMessagesPerPeriod === null
        ? "No caps, no overages"
        : "No overages: over the limit, connections are refused and messages dropped",
  ];
}

/** Plans as cards to pick from: a radio group, so keyboard and screen-reader users choose as everyone else. */
export function PlanCards({ plans, selectedSlug, onSelect, currentSlug, legend, disabled }: PlanCardsProps) {
  return (
    <fieldset className="plan-cards" disabled={disabled}>
      <legend>{legend}</legend>
      {plans.map((plan) => (
        <label key={plan.slug} className={`plan-card ${plan.slug === selectedSlug ? "selected" : ""}`} data-plan={plan.slug}>
          <input type="radio" name="plan" value={plan.slug} checked={plan.slug === selectedSlug} onChange={() => onSelect(plan.slug)} className="visually-hidden" />
          <span className="plan-card-head">
            <strong>{plan.name}</strong>
            {plan.slug === currentSlug && <span className="badge active">Current</span>}
          </span>
          <span className="plan-price">{priceLine(plan)}</span>
          <ul className="plan-lines">
            {planLines(plan).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </label>
      ))}
    </fieldset>
  );
}
