// The team's wallet at a glance, for the team page: what is in it, what refills it, and what each of the
// team's apps has drawn from it this month. One wallet pays for every app (issue 27), so the team page
// is where an owner sees it whole; each app's billing page manages it. A read: nothing is created.
import type { Db } from "@/lib/db";
import { calendarMonthAt } from "@/lib/periods/billing-period";
import { describePaymentMethod } from "./payment-provider";

export interface TeamWalletSummary {
  balanceMinor: number;
  currency: "USD";
  paymentMethod: { brand: string; last4: string } | null;
  autoRecharge: { enabled: boolean; thresholdMinor: number; amountMinor: number };
  /** The calendar month (UTC) the charges below are of: the team's spend cap and allowance count per month too. */
  month: { start: string; end: string };
  /** The team's live apps, oldest first, with their usage charges (overage and pay as you go) this month. */
  apps: { id: string; name: string; planName: string; usageChargesMinor: number }[];
  /** Charges of apps deleted this month: still the team's. */
  deletedAppsUsageChargesMinor: number;
}

export async function getTeamWalletSummary(db: Db, input: { tenantId: string; now?: Date }): Promise<TeamWalletSummary> {
  const month = calendarMonthAt(input.now ?? new Date());
  const [account, apps] = await Promise.all([
    db.billingAccount.findUnique({ where: { tenantId: input.tenantId } }),
    db.app.findMany({ where: { tenantId: input.tenantId, deletedAt: null }, select: { id: true, name: true, plan: { select: { name: true } } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  ]);
  const charges = account
    ? await db.ledgerEntry.groupBy({ by: ["appId"], where: { billingAccountId: account.id, kind: "overage_debit", createdAt: { gte: month.start, lt: month.end } }, _sum: { amountMinor: true } })
    : [];
  const chargedMinor = new Map(charges.map((group) => [group.appId, -(group._sum.amountMinor ?? 0)]));
  const liveIds = new Set(apps.map((app) => app.id));
  const card = account ? describePaymentMethod(account.paymentMethodRef, { brand: account.paymentMethodBrand, last4: account.paymentMethodLast4 }) : null;
  return {
    balanceMinor: account?.balanceMinor ?? 0,
    currency: "USD",
    paymentMethod: card && { brand: card.brand, last4: card.last4 },
    autoRecharge: {
      enabled: account?.autoRechargeEnabled ?? false,
      thresholdMinor: account?.autoRechargeThresholdMinor ?? 0,
      amountMinor: account?.autoRechargeAmountMinor ?? 0,
    },
    month: { start: month.start.toISOString(), end: month.end.toISOString() },
    apps: apps.map((app) => ({ id: app.id, name: app.name, planName: app.plan.name, usageChargesMinor: chargedMinor.get(app.id) ?? 0 })),
    deletedAppsUsageChargesMinor: charges.filter((group) => group.appId !== null && !liveIds.has(group.appId)).reduce((sum, group) => sum - (group._sum.amountMinor ?? 0), 0),
  };
}
