// A customer's plan change (docs/dashboard-api.md "Plan changes"):
// - to a dearer plan: at once, charging the new plan's fee for the rest of the period less the unused
//   rest of the current plan's fee (when that was paid), from the balance or else the stored card;
//   refused with 402 payment_failed when neither can pay;
// - to a cheaper plan: at the end of the period (the current fee is paid; no credit), except while the
//   app is past due, when it happens at once;
// - to a plan of the same price: at once, nothing charged.
// The subscription row is locked for the whole change, so concurrent requests serialise; a request
// repeating an idempotency key (on any replica) gets the first outcome and is never charged again: the
// card, when the balance does not cover the fee, is charged between two runs of the transaction with
// that key (pay-plan-fee.ts, charge-card.ts), never while the lock is held.
import { randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { PaymentProvider } from "./payment-provider";
import { payPlanFee, type PlanFeeLine, withCardFallback } from "./pay-plan-fee";
import { planAtPeriod } from "./plan-prices";
import { describeProration, upgradeCharge } from "./proration";
import { lockSubscription, renewApp } from "./renew-subscription";
import { lockTeamAccount } from "./team-account";

export type PlanChangeOutcome = "upgraded" | "switched" | "scheduled" | "cancelled_schedule" | "unchanged";

export interface PlanChangeResult {
  outcome: PlanChangeOutcome;
  planSlug: string;
  /** The plan the app moves to at the period end (scheduled downgrades). */
  scheduledPlanSlug: string | null;
  effectiveAt: string;
  chargedMinor: number;
  creditedMinor: number;
  paidWith: "balance" | "card" | null;
  /** True when this answers a repeated idempotency key (nothing was done now). */
  replayed: boolean;
}

export async function changePlan(
  db: Db,
  provider: PaymentProvider,
  input: { actor: Actor; appId: string; planSlug: string; idempotencyKey?: string; allowHiddenPlans?: boolean; now?: Date },
): Promise<PlanChangeResult> {
  const now = input.now ?? new Date();
  const idempotencyKey = input.idempotencyKey ?? randomUUID();
  // A period that has turned is renewed first, so the proration below is about the current period.
  await renewApp(db, provider, { appId: input.appId, now });
  const result = await withCardFallback(
    db,
    provider,
    async (tx, card) => {
      const subscription = await lockSubscription(tx, input.appId, now);
      const previous = await tx.planChange.findUnique({ where: { appId_idempotencyKey: { appId: input.appId, idempotencyKey } } });
      if (previous) {
        // One after the other: a transaction has one connection, and pg refuses overlapping queries on it from pg@9.
        const to = await tx.plan.findUniqueOrThrow({ where: { id: previous.toPlanId }, select: { slug: true } });
        const app = await tx.app.findUniqueOrThrow({ where: { id: input.appId }, select: { plan: { select: { slug: true } } } });
        return {
          refusal: null,
          value: {
            outcome: previous.outcome as PlanChangeOutcome,
            planSlug: app.plan.slug,
            scheduledPlanSlug: previous.outcome === "scheduled" ? to.slug : null,
            effectiveAt: previous.createdAt.toISOString(),
            chargedMinor: previous.chargedMinor,
            creditedMinor: previous.creditedMinor,
            paidWith: null,
            replayed: true,
          } satisfies PlanChangeResult,
        };
      }
      const app = await tx.app.findUnique({
        where: { id: input.appId },
        select: { id: true, tenantId: true, billingAnchor: true, overagesEnabled: true, plan: true, override: true },
      });
      if (!app) throw notFound("App");
      const target = await tx.plan.findUnique({ where: { slug: input.planSlug } });
      if (!target || (!target.isPublic && !input.allowHiddenPlans)) {
        throw new DomainError("unprocessable", `Unknown plan "${input.planSlug}"`, { field: "planSlug" });
      }
      const period = billingPeriodAt(app.billingAnchor, now);
      const current = await planAtPeriod(tx, app.plan, period.start);
      const next = await planAtPeriod(tx, target, period.start);
      const pastDue = subscription.status === "past_due";
      const record = async (outcome: PlanChangeOutcome, chargedMinor = 0, creditedMinor = 0) =>
        tx.planChange.create({ data: { appId: app.id, idempotencyKey, fromPlanId: app.plan.id, toPlanId: target.id, outcome, chargedMinor, creditedMinor } });
      const base = { planSlug: app.plan.slug, scheduledPlanSlug: null, effectiveAt: now.toISOString(), chargedMinor: 0, creditedMinor: 0, paidWith: null, replayed: false };

      if (target.id === app.plan.id) {
        if (!subscription.scheduledPlanId) return { refusal: null, value: { ...base, outcome: "unchanged" as const } };
        await tx.appSubscription.update({ where: { appId: app.id }, data: { scheduledPlanId: null } });
        await record("cancelled_schedule");
        await writeAuditLog(tx, { actor: input.actor, action: "app.plan_change_cancelled", targetType: "app", targetId: app.id, after: { planSlug: app.plan.slug } });
        return { refusal: null, value: { ...base, outcome: "cancelled_schedule" as const } };
      }

      if (next.monthlyPriceMinor < current.monthlyPriceMinor && !pastDue) {
        await tx.appSubscription.update({ where: { appId: app.id }, data: { scheduledPlanId: target.id } });
        await record("scheduled");
        await writeAuditLog(tx, {
          actor: input.actor,
          action: "app.plan_change_scheduled",
          targetType: "app",
          targetId: app.id,
          before: { planSlug: app.plan.slug },
          after: { planSlug: target.slug, effectiveAt: period.end.toISOString() },
        });
        return { refusal: null, value: { ...base, outcome: "scheduled" as const, scheduledPlanSlug: target.slug, effectiveAt: period.end.toISOString() } };
      }

      const charge = upgradeCharge({ currentPriceMinor: current.monthlyPriceMinor, currentFeePaid: !pastDue, targetPriceMinor: next.monthlyPriceMinor, period, at: now });
      const lines: PlanFeeLine[] = [];
      const days = describeProration(period, now);
      if (charge.creditMinor > 0) lines.push({ kind: "plan_credit", amountMinor: charge.creditMinor, description: `Unused ${current.name} plan for ${days}` });
      if (charge.feeMinor > 0) lines.push({ kind: "plan_fee", amountMinor: charge.feeMinor, description: `${next.name} plan for ${days}` });
      const payment = await payPlanFee(tx, {
        account: await lockTeamAccount(tx, app.tenantId),
        appId: app.id,
        lines,
        reference: `plan_change:${idempotencyKey}`,
        periodStart: period.start,
        trigger: "plan_change",
        description: `Tollgate ${next.name} plan for ${app.id}`,
        card,
      });
      if (!payment.paid) return { refusal: `Cannot switch to ${next.name}: ${payment.reason}. Nothing was charged.`, value: null };
      const overagesEnabled = app.overagesEnabled && effectiveLimits(target, app.override).overagesAllowed;
      await tx.app.update({ where: { id: app.id }, data: { planId: target.id, overagesEnabled } });
      await tx.appSubscription.update({
        where: { appId: app.id },
        data: { status: "active", amountDueMinor: 0, graceEndsAt: null, declinedPaymentMethodRef: null, scheduledPlanId: null, renewedPeriodStart: period.start, renewsAt: period.end },
      });
      const outcome = charge.chargeMinor > 0 ? ("upgraded" as const) : ("switched" as const);
      await record(outcome, charge.chargeMinor, charge.creditMinor);
      await writeAuditLog(tx, {
        actor: input.actor,
        action: "app.plan_change",
        targetType: "app",
        targetId: app.id,
        before: { planSlug: app.plan.slug, overagesEnabled: app.overagesEnabled, status: subscription.status },
        after: { planSlug: target.slug, overagesEnabled, chargedMinor: charge.chargeMinor, creditedMinor: charge.creditMinor, paidWith: payment.source },
      });
      await recordRelayChange(tx, { appId: app.id });
      return {
        refusal: null,
        value: {
          ...base,
          outcome,
          planSlug: target.slug,
          chargedMinor: charge.chargeMinor,
          creditedMinor: charge.creditMinor,
          paidWith: payment.source === "none" ? null : payment.source,
        },
      };
    },
    { timeout: 20_000 },
  );
  // A refusal commits what it recorded (a declined card attempt) and then answers 402.
  if (result.refusal !== null) throw new DomainError("payment_failed", result.refusal, { field: "planSlug" });
  if (result.value.outcome === "upgraded" || result.value.outcome === "switched") notifyRelaysOfChange({ appId: input.appId, kind: "app" });
  return result.value;
}
