// The monthly spend cap (issue 12): usage charges (overage + pay-as-you-go) of a period stop at the
// cap. Relays enforce it without knowing it exists: every balance the control plane tells them (plan
// snapshot, usage acknowledgement, recharge answer) is the *spendable* balance, the smaller of the
// real balance and what is left under the cap, so a reached cap looks exactly like an exhausted
// balance with no recharge (PROTOCOL §6: new connections 4010, publish/send `over_message_quota`).
import type { Db } from "@/lib/db";
import { billingPeriodAt } from "@/lib/periods/billing-period";

/** What is left under the cap this period; null when there is no cap. */
export function capRemainingMinor(capMinor: number | null, spentMinor: number): number | null {
  return capMinor === null ? null : Math.max(0, capMinor - spentMinor);
}

export function spendCapReached(capMinor: number | null, spentMinor: number): boolean {
  return capMinor !== null && spentMinor >= capMinor;
}

export function spendableBalanceMinor(input: { balanceMinor: number; capMinor: number | null; spentMinor: number }): number {
  const remaining = capRemainingMinor(input.capMinor, input.spentMinor);
  return remaining === null ? input.balanceMinor : Math.min(input.balanceMinor, remaining);
}

/**
 * A flush's charge, cut to what the cap leaves. Relays stop at the cap from their own estimate, but
 * several nodes (or pay-as-you-go usage, priced only here) can overshoot by up to one flush: that
 * overshoot is not charged, so the period's usage charges never pass the cap.
 */
export function chargeWithinCapMinor(input: { chargeMinor: number; capMinor: number | null; spentMinor: number }): number {
  const remaining = capRemainingMinor(input.capMinor, input.spentMinor);
  return remaining === null ? input.chargeMinor : Math.min(input.chargeMinor, remaining);
}

/** The spendable balance of each app now, for answers to relays. */
export async function loadSpendableBalances(db: Db, input: { appIds: string[]; now?: Date }): Promise<Map<string, number>> {
  const now = input.now ?? new Date();
  const apps = await db.app.findMany({
    where: { id: { in: input.appIds } },
    select: {
      id: true,
      billingAnchor: true,
      billingAccount: { select: { balanceMinor: true } },
      spendControls: { select: { monthlySpendCapMinor: true } },
      usagePeriods: { where: { end: { gt: now }, start: { lte: now } }, select: { start: true, overageCostMinor: true } },
    },
  });
  const balances = new Map<string, number>();
  for (const app of apps) {
    if (!app.billingAccount) continue;
    const period = billingPeriodAt(app.billingAnchor, now);
    const spentMinor = app.usagePeriods.find((row) => row.start.getTime() === period.start.getTime())?.overageCostMinor ?? 0;
    balances.set(app.id, spendableBalanceMinor({ balanceMinor: app.billingAccount.balanceMinor, capMinor: app.spendControls?.monthlySpendCapMinor ?? null, spentMinor }));
  }
  return balances;
}
