import { formatMoney } from "@/components/format";

/**
 * One `<dl>` row: overage and pay-as-you-go charges so far, extrapolated to the end of the period. The plan's
 * monthly price is not part of it, which the label says so a customer on a paid plan is not misled by $0.
 */
export function ProjectedUsageCharges({ amountMinor, currency }: { amountMinor: number; currency?: string }) {
  return (
    <div>
      <dt>Projected usage charges</dt>
      <dd>
        {formatMoney(amountMinor, currency)}
        <span className="muted small"> by period end, plan price not included</span>
      </dd>
    </div>
  );
}
