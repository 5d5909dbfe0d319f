// Spend caps (issue 12, per team since issue 27): usage charges (overage + pay-as-you-go) stop at a cap.
// A team has one cap on the usage charges of all its apps per calendar month (UTC); each app may have
// its own cap too, per billing period of the app. Relays enforce both without knowing they exist:
// every balance the control plane tells them (app state, usage acknowledgement, recharge answer) is the
// *spendable* balance, the smallest of the team's balance and what each cap leaves, so a reached cap
// looks exactly like an exhausted balance with no recharge (PROTOCOL §6: new connections 4010,
// publish/send `over_message_quota`).
import type { Db, Prisma } from "@/lib/db";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { teamUsageChargesMinor } from "./team-account";

/** One cap and what was already charged against it (capMinor null: no cap). */
export interface SpendLimit {
  capMinor: number | null;
  spentMinor: number;
}

/** What the tightest cap leaves; null when there is no cap. */
export function capRemainingMinor(limits: SpendLimit[]): number | null {
  let remaining: number | null = null;
  for (const limit of limits) {
    if (limit.capMinor === null) continue;
    const left = Math.max(0, limit.capMinor - limit.spentMinor);
    remaining = remaining === null ? left : Math.min(remaining, left);
  }
  return remaining;
}

export function spendCapReached(limits: SpendLimit[]): boolean {
  return limits.some((limit) => limit.capMinor !== null && limit.spentMinor >= limit.capMinor);
}

export function spendableBalanceMinor(balanceMinor: number, limits: SpendLimit[]): number {
  const remaining = capRemainingMinor(limits);
  return remaining === null ? balanceMinor : Math.min(balanceMinor, remaining);
}

/**
 * A flush's charge, cut to what the caps leave. Relays stop at a cap from their own estimate, but
 * several nodes and apps (or pay-as-you-go usage, priced only here) can overshoot by up to one flush
 * each: that overshoot is not charged, so usage charges never pass a cap.
 */
export function chargeWithinCapMinor(chargeMinor: number, limits: SpendLimit[]): number {
  const remaining = capRemainingMinor(limits);
  return remaining === null ? chargeMinor : Math.min(chargeMinor, remaining);
}

/** The caps an app's usage charges count against now: its own, then its team's. */
export interface AppSpend {
  /** The team's account (null: the team has none yet). */
  billingAccountId: string | null;
  balanceMinor: number;
  autoRechargeEnabled: boolean;
  limits: SpendLimit[];
}

export async function loadSpendLimits(db: Db | Prisma.TransactionClient, input: { appIds: string[]; now?: Date }): Promise<Map<string, AppSpend>> {
  const now = input.now ?? new Date();
  const apps = await db.app.findMany({
    where: { id: { in: input.appIds } },
    select: {
      id: true,
      billingAnchor: true,
      tenant: { select: { billingAccount: true } },
      spendControls: { select: { monthlySpendCapMinor: true } },
      usagePeriods: { where: { end: { gt: now }, start: { lte: now } }, select: { start: true, overageCostMinor: true } },
    },
  });
  const teamSpent = new Map<string, number>();
  const result = new Map<string, AppSpend>();
  for (const app of apps) {
    const account = app.tenant.billingAccount;
    const period = billingPeriodAt(app.billingAnchor, now);
    const appSpent = app.usagePeriods.find((row) => row.start.getTime() === period.start.getTime())?.overageCostMinor ?? 0;
    const limits: SpendLimit[] = [{ capMinor: app.spendControls?.monthlySpendCapMinor ?? null, spentMinor: appSpent }];
    if (account?.monthlySpendCapMinor != null) {
      let spent = teamSpent.get(account.id);
      if (spent === undefined) {
        spent = await teamUsageChargesMinor(db, { billingAccountId: account.id, now });
        teamSpent.set(account.id, spent);
      }
      limits.push({ capMinor: account.monthlySpendCapMinor, spentMinor: spent });
    }
    result.set(app.id, { billingAccountId: account?.id ?? null, balanceMinor: account?.balanceMinor ?? 0, autoRechargeEnabled: account?.autoRechargeEnabled ?? false, limits });
  }
  return result;
}

/** The spendable balance of each app now, for answers to relays. */
export async function loadSpendableBalances(db: Db | Prisma.TransactionClient, input: { appIds: string[]; now?: Date }): Promise<Map<string, number>> {
  const balances = new Map<string, number>();
  for (const [appId, spend] of await loadSpendLimits(db, input)) balances.set(appId, spendableBalanceMinor(spend.balanceMinor, spend.limits));
  return balances;
}
