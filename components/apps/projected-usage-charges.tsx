import type { UsageProjection } from "@/lib/billing/project-usage-charges";
import { formatMoney } from "@/components/format";

/**
 * One `<dl>` row: usage charges (overage, pay-as-you-go) projected to the period end. The plan's monthly
 * fee is not part of it, which the label says so a customer on a paid plan is not misled by $0. With the
 * projection's basis it also says how it was computed.
 */
export function ProjectedUsageCharges({ amountMinor, currency, projection }: { amountMinor: number; currency?: string; projection?: UsageProjection }) {
  return (
    <div>
      <dt>Projected usage charges</dt>
      <dd>
        <span data-testid="projected-usage-charges">{formatMoney(amountMinor, currency)}</span>
        <span className="muted small"> by period end, plan price not included</span>
        {projection && <p className="muted small" data-testid="projection-explanation">{projection.explanation}</p>}
      </dd>
    </div>
  );
}
