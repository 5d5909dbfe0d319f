import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { newAppId } from "@/lib/keys/key-material";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { DEFAULT_PLAN_SLUG } from "@/lib/plans/plan-catalog";
import type { CardChargeOutcome } from "@/lib/billing/charge-card";
import type { PaymentProvider } from "@/lib/billing/payment-provider";
import { payPlanFee, withCardFallback } from "@/lib/billing/pay-plan-fee";
import { describeProration, proratedMinor } from "@/lib/billing/proration";
import { ensureSubscription } from "@/lib/billing/renew-subscription";
import { lockTeamAccount, teamAccount } from "@/lib/billing/team-account";
import { assertRoomForAnotherApp } from "./app-limit";

export interface CreateAppInput {
  tenantId: string;
  name: string;
  planSlug?: string;
  actorId?: string | null;
  actor?: Actor;
  /** Platform admins (and the seed) may put an app on a plan that is not public. */
  allowHiddenPlans?: boolean;
  /**
   * Customers: a paid plan's fee for the first period (prorated from now, which starts the app's period:
   * the whole fee) is paid at once from the team's balance, else the team's card; the app is not created
   * and the answer is 402 when neither can pay. Without it (admins, the seed) the first period's fee is
   * waived, and renewals charge from the next period.
   */
  payFirstPeriodWith?: PaymentProvider;
}

/**
 * Creates an app on a plan (Free by default) in its team, whose billing account (the team's wallet) it
 * shares, within the tenant's app limit (app-limit.ts). The billing anchor is now, truncated to whole
 * seconds because relays name periods by their start in Unix seconds. The card, when the balance does not
 * cover the first fee, is charged between two runs of the transaction (pay-plan-fee.ts), never within it.
 */
export async function createApp(db: Db, input: CreateAppInput) {
  const planSlug = input.planSlug ?? DEFAULT_PLAN_SLUG;
  const plan = await db.plan.findUnique({ where: { slug: planSlug }, select: { id: true, name: true, isPublic: true, monthlyPriceMinor: true } });
  if (!plan || (!plan.isPublic && input.allowHiddenPlans === false)) throw new DomainError("unprocessable", `Unknown plan "${planSlug}"`, { field: "planSlug" });
  const actor = input.actor ?? { id: input.actorId ?? null };
  const billingAnchor = new Date(Math.floor(Date.now() / 1000) * 1000);
  const period = billingPeriodAt(billingAnchor, billingAnchor);
  const feeMinor = input.payFirstPeriodWith ? proratedMinor(plan.monthlyPriceMinor, period, billingAnchor) : 0;
  // Chosen once, so a second run of the transaction (after a card charge) creates the same app and pays
  // under the same references.
  const appId = newAppId();
  const work = async (tx: Prisma.TransactionClient, card: CardChargeOutcome | null) => {
    await assertRoomForAnotherApp(tx, input.tenantId);
    const app = await tx.app.create({
      data: { id: appId, tenantId: input.tenantId, name: input.name.trim(), planId: plan.id, billingAnchor },
      select: { id: true, name: true, tenantId: true, planId: true, status: true, createdAt: true },
    });
    await ensureSubscription(tx, app.id, billingAnchor);
    let paidWith: "balance" | "card" | "none" | null = null;
    if (feeMinor > 0) {
      const payment = await payPlanFee(tx, {
        account: await lockTeamAccount(tx, input.tenantId),
        appId: app.id,
        lines: [{ kind: "plan_fee", amountMinor: feeMinor, description: `${plan.name} plan for ${describeProration(period, billingAnchor)}` }],
        reference: `app_create:${app.id}`,
        periodStart: period.start,
        trigger: "app_create",
        description: `Tollgate ${plan.name} plan for ${app.id}`,
        card,
      });
      // Thrown: the transaction rolls back and the app is not created (a declined card's attempt stays recorded).
      if (!payment.paid) throw new DomainError("payment_failed", `Cannot create the app on ${plan.name}: ${payment.reason}. Nothing was charged.`, { field: "planSlug" });
      paidWith = payment.source;
    } else {
      await teamAccount(tx, input.tenantId);
    }
    await recordRelayChange(tx, { appId: app.id });
    await writeAuditLog(tx, {
      actor,
      action: "app.create",
      targetType: "app",
      targetId: app.id,
      after: {
        name: app.name,
        planSlug,
        tenantId: app.tenantId,
        ...(plan.monthlyPriceMinor > 0 ? (paidWith ? { firstPeriodFeeMinor: feeMinor, paidWith } : { firstPeriodFeeWaived: true }) : {}),
      },
    });
    return app;
  };
  const created = input.payFirstPeriodWith ? await withCardFallback(db, input.payFirstPeriodWith, work, { timeout: 20_000 }) : await db.$transaction((tx) => work(tx, null));
  notifyRelaysOfChange({ appId: created.id, kind: "app" });
  return created;
}
