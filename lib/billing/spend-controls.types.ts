import { z } from "zod";

const optionalMinor = (label: string) =>
  z
    .number()
    .int(`${label}: whole minor units (cents)`)
    .min(100, `${label}: at least 100 (1.00), or null for no limit`)
    .max(100_000_000, `${label}: at most 100000000 (1,000,000.00)`)
    .nullable();

export const spendControlsSchema = z
  .object({
    /** Cap on usage charges (overage + pay-as-you-go) per billing period; null: no cap. */
    monthlySpendCapMinor: optionalMinor("Spend cap"),
    /** Ceiling on the total auto-recharged per billing period; null: no ceiling. */
    autoRechargeMonthlyCeilingMinor: optionalMinor("Auto-recharge ceiling"),
  })
  .strict();
export type SpendControlsBody = z.infer<typeof spendControlsSchema>;

export interface SpendControlsView {
  monthlySpendCapMinor: number | null;
  autoRechargeMonthlyCeilingMinor: number | null;
  /** Usage charges debited so far this period (what the cap is compared with). */
  usageChargesThisPeriodMinor: number;
  /** Succeeded auto-recharges this period (what the ceiling is compared with). */
  autoRechargedThisPeriodMinor: number;
  spendCapReached: boolean;
  periodStart: string;
  periodEnd: string;
}
