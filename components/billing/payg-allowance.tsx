// Pay-as-you-go: this period's free allowance used, per metered unit, and (on the billing page) what each
// unit costs beyond it. The overview shows the same gauges without the prices.
import type { Billing } from "@/components/api-types";
import { Gauge } from "@/components/apps/gauge";
import { Limits } from "@tollgate/relay/protocol";
import { formatBytes, formatMoney, formatNumber } from "@/components/format";
import type { PaygAllowance as Allowance } from "@/lib/billing/payg-allowance";
import type { ReactNode } from "react";

type UnitPrices = Pick<Billing["prices"], "pricePer1000ConnectionMinutesMinor" | "pricePer1000DeliveredMessagesMinor" | "pricePerGbEgressMinor">;

/** `updated`: when the figures were measured (the overview's live usage). */
export function AllowanceGauges({ allowance, prices, updated }: { allowance: Allowance; prices?: UnitPrices; updated?: ReactNode }) {
  // Without prices (the overview) the gauges only say what is used of the free part.
  const beyondFree = (price: string | undefined) => (price ? `then ${price}` : "free this period");
  return (
    <div className="gauge-grid">
      <Gauge
        label="Connection-minutes"
        used={allowance.connectionMinutes.used}
        limit={allowance.connectionMinutes.free}
        detail={beyondFree(prices && `${formatMoney(prices.pricePer1000ConnectionMinutesMinor)} per 1,000`)}
        updated={updated}
      />
      <Gauge
        label="Delivered messages"
        used={allowance.deliveredMessages.used}
        limit={allowance.deliveredMessages.free}
        detail={beyondFree(prices && `${formatMoney(prices.pricePer1000DeliveredMessagesMinor)} per 1,000`)}
        updated={updated}
      />
      <Gauge
        label="Egress"
        used={allowance.egressBytes.used}
        limit={allowance.egressBytes.free}
        formatValue={formatBytes}
        detail={`${beyondFree(prices && `${formatMoney(prices.pricePerGbEgressMinor)} per GB`)}, payloads counted in blocks of ${formatNumber(Limits.egressBlockBytes)} bytes`}
        updated={updated}
      />
    </div>
  );
}

export function PaygAllowance({ billing }: { billing: Billing }) {
  if (!billing.allowance) return null;
  return (
    <section className="card stack" aria-labelledby="allowance-heading">
      <h2 id="allowance-heading">Team free allowance this month</h2>
      <p className="muted small">
        Pay as you go has no monthly fee and no caps. Each calendar month the team has the allowance below, shared by all its pay-as-you-go apps (a new app
        brings no fresh one); usage beyond it is charged from the team&apos;s balance at the unit prices shown.
      </p>
      <AllowanceGauges allowance={billing.allowance} prices={billing.prices} />
    </section>
  );
}
