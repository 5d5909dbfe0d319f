// Pay-as-you-go: this period's free allowance used, per metered unit, and what each unit costs beyond it.
import type { Billing } from "@/components/api-types";
import { Gauge } from "@/components/apps/gauge";
import { formatBytes, formatMoney } from "@/components/format";

export function PaygAllowance({ billing }: { billing: Billing }) {
  const allowance = billing.allowance;
  if (!allowance) return null;
  const prices = billing.prices;
  return (
    <section className="card stack" aria-labelledby="allowance-heading">
      <h2 id="allowance-heading">Free allowance this period</h2>
      <p className="muted small">
        Pay as you go has no monthly fee and no caps. Each period includes the allowance below; usage beyond it is charged from the balance at the unit
        prices shown.
      </p>
      <div className="gauge-grid">
        <Gauge
          label="Connection-minutes"
          used={allowance.connectionMinutes.used}
          limit={allowance.connectionMinutes.free}
          detail={`then ${formatMoney(prices.pricePer1000ConnectionMinutesMinor)} per 1,000`}
        />
        <Gauge
          label="Delivered messages"
          used={allowance.deliveredMessages.used}
          limit={allowance.deliveredMessages.free}
          detail={`then ${formatMoney(prices.pricePer1000DeliveredMessagesMinor)} per 1,000`}
        />
        <Gauge
          label={`Egress (bytes; ${formatBytes(allowance.egressBytes.free)} free)`}
          used={allowance.egressBytes.used}
          limit={allowance.egressBytes.free}
          detail={`then ${formatMoney(prices.pricePerGbEgressMinor)} per GB, payloads counted in 4 KB blocks`}
        />
      </div>
    </section>
  );
}
