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
    /** This app's cap on its usage charges (overage + pay-as-you-go) per billing period of the app; null: no cap. */
    monthlySpendCapMinor: optionalMinor("Spend cap"),
    /** The team's cap on the usage charges of all its apps per calendar month; null: no cap; omitted: unchanged. */
    teamMonthlySpendCapMinor: optionalMinor("Team spend cap").optional(),
    /** The team's ceiling on the total auto-recharged per calendar month; null: no ceiling; omitted: unchanged. */
    autoRechargeMonthlyCeilingMinor: optionalMinor("Auto-recharge ceiling").optional(),
  })
  .strict();
export type SpendControlsBody = z.infer<typeof spendControlsSchema>;

export interface SpendControlsView {
  /** The app's own cap, per billing period of the app. */
  monthlySpendCapMinor: number | null;
  /** The app's usage charges so far this period (what its cap is compared with). */
  usageChargesThisPeriodMinor: number;
  spendCapReached: boolean;
  periodStart: string;
  periodEnd: string;
  /** The team's guardrails, per calendar month (UTC), over all its apps. */
  team: {
    monthlySpendCapMinor: number | null;
    autoRechargeMonthlyCeilingMinor: number | null;
    /** Usage charges of all the team's apps this month (what the team's cap is compared with). */
    usageChargesThisMonthMinor: number;
    /** Succeeded auto-recharges of the team this month (what the ceiling is compared with). */
    autoRechargedThisMonthMinor: number;
    spendCapReached: boolean;
    monthStart: string;
    monthEnd: string;
  };
}
