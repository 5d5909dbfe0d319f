// Plan-fee renewals. At each period start the app's fee (the price in force at that start) is charged
// from the balance or the stored card; when neither can pay the app is `past_due` for a grace period
// (PAST_DUE_GRACE_HOURS), after which relays give it Free's limits until the fee is paid.
// The sweep that first finds the grace over announces it (plan_fee.grace_ended), once per period.
// A scheduled downgrade takes effect at the period start, before the fee is charged.
//
// Renewals run as jobs (lib/jobs/job-tasks.ts): a sweep every minute renews what is due and schedules
// each app renewing soon at its exact period end (and a past-due app at its grace end). Reads never renew.
// Each renewal locks the app's subscription row and re-checks it, and its ledger references are unique per
// period, so concurrent runs (several job runners, a plan change) renew once.
import { SYSTEM_ACTOR, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { pastDueGraceMs } from "./billing-config";
import type { PaymentProvider } from "./payment-provider";
import { payPlanFee, withCardFallback } from "./pay-plan-fee";
import { planAtPeriod } from "./plan-prices";
import { lockTeamAccount } from "./team-account";

export type RenewalOutcome = "not_due" | "renewed" | "past_due" | "paid_after_due" | "still_past_due";

/**
 * Creates the subscription row of an app that has none (apps created before plan fees, or just now):
 * its current period counts as settled, so nothing is charged for it.
 */
export async function ensureSubscription(tx: Prisma.TransactionClient, appId: string, now: Date): Promise<void> {
  const app = await tx.app.findUnique({ where: { id: appId }, select: { billingAnchor: true } });
  if (!app) return;
  const period = billingPeriodAt(app.billingAnchor, now);
  await tx.appSubscription.createMany({ data: [{ appId, renewedPeriodStart: period.start, renewsAt: period.end }], skipDuplicates: true });
}

/** Locks the subscription row for the rest of the transaction (creating it first when missing). */
export async function lockSubscription(tx: Prisma.TransactionClient, appId: string, now: Date) {
  await ensureSubscription(tx, appId, now);
  await tx.$queryRaw`SELECT "appId" FROM "AppSubscription" WHERE "appId" = ${appId} FOR UPDATE`;
  return tx.appSubscription.findUniqueOrThrow({ where: { appId } });
}

/** Renews one app when its period has turned, or retries a past-due fee. Idempotent. */
export async function renewApp(db: Db, provider: PaymentProvider, input: { appId: string; now?: Date; graceMs?: number }): Promise<RenewalOutcome> {
  const now = input.now ?? new Date();
  const graceMs = input.graceMs ?? pastDueGraceMs();
  // The common case (nothing due) reads one row and takes no lock.
  const current = await db.appSubscription.findUnique({ where: { appId: input.appId }, select: { renewsAt: true, status: true } });
  if (current && current.status === "active" && current.renewsAt.getTime() > now.getTime()) return "not_due";
  const result = await withCardFallback(
    db,
    provider,
    async (tx, card) => {
      const subscription = await lockSubscription(tx, input.appId, now);
      const app = await tx.app.findUnique({
        where: { id: input.appId },
        select: { id: true, tenantId: true, billingAnchor: true, overagesEnabled: true, plan: true, override: true },
      });
      if (!app) return { outcome: "not_due" as const, changed: false };
      const period = billingPeriodAt(app.billingAnchor, now);
      const account = await lockTeamAccount(tx, app.tenantId);
      const reference = `renewal:${app.id}:${toUnixSeconds(period.start)}`;

      if (subscription.renewedPeriodStart.getTime() >= period.start.getTime()) {
        if (subscription.status !== "past_due") return { outcome: "not_due" as const, changed: false };
        const plan = await planAtPeriod(tx, app.plan, period.start);
        const payment = await payPlanFee(tx, {
          account,
          appId: app.id,
          lines: [{ kind: "plan_fee", amountMinor: subscription.amountDueMinor, description: `${plan.name} plan fee (was past due)` }],
          reference: `${reference}:retry`,
          periodStart: period.start,
          trigger: "renewal",
          skipCardRef: subscription.declinedPaymentMethodRef,
          description: `Tollgate ${plan.name} plan fee for ${app.id}`,
          card,
        });
        if (!payment.paid) {
          await tx.appSubscription.update({ where: { appId: app.id }, data: { declinedPaymentMethodRef: payment.declinedPaymentMethodRef } });
          const announced = await announceGraceEnded(tx, { appId: app.id, subscription, planName: plan.name, now });
          // The first sweep past the grace puts the fall back to Free in the relay feed.
          if (announced) await recordRelayChange(tx, { appId: app.id });
          return { outcome: "still_past_due" as const, changed: announced };
        }
        await tx.appSubscription.update({
          where: { appId: app.id },
          data: { status: "active", amountDueMinor: 0, graceEndsAt: null, declinedPaymentMethodRef: null },
        });
        await writeAuditLog(tx, {
          actor: SYSTEM_ACTOR,
          action: "billing.plan_fee_paid",
          targetType: "app",
          targetId: app.id,
          before: { status: "past_due", amountDueMinor: subscription.amountDueMinor },
          after: { status: "active", paidWith: payment.source },
        });
        await recordRelayChange(tx, { appId: app.id });
        return { outcome: "paid_after_due" as const, changed: true };
      }

      // A new period: apply a scheduled downgrade, charge the fee (the team's invoices are issued per
      // calendar month by issue-invoices.ts). A past-due period no sweep saw past its grace still gets
      // its announcement (a no-op when made).
      await announceGraceEnded(tx, { appId: app.id, subscription, planName: app.plan.name, now });
      let plan = app.plan;
      if (subscription.scheduledPlanId) {
        const next = await tx.plan.findUnique({ where: { id: subscription.scheduledPlanId } });
        if (next) {
          const overagesEnabled = app.overagesEnabled && effectiveLimits(next, app.override).overagesAllowed;
          await tx.app.update({ where: { id: app.id }, data: { planId: next.id, overagesEnabled } });
          await writeAuditLog(tx, {
            actor: SYSTEM_ACTOR,
            action: "app.plan_change",
            targetType: "app",
            targetId: app.id,
            before: { planSlug: app.plan.slug },
            after: { planSlug: next.slug, reason: "scheduled downgrade at period end" },
          });
          plan = next;
        }
      }
      const priced = await planAtPeriod(tx, plan, period.start);
      const feeMinor = priced.monthlyPriceMinor;
      const settled = { renewedPeriodStart: period.start, renewsAt: period.end, scheduledPlanId: null };
      if (feeMinor === 0) {
        await tx.appSubscription.update({ where: { appId: app.id }, data: { ...settled, status: "active", amountDueMinor: 0, graceEndsAt: null, declinedPaymentMethodRef: null } });
        const changed = plan.id !== app.plan.id || subscription.status === "past_due";
        if (changed) await recordRelayChange(tx, { appId: app.id });
        return { outcome: "renewed" as const, changed };
      }
      const payment = await payPlanFee(tx, {
        account,
        appId: app.id,
        lines: [{ kind: "plan_fee", amountMinor: feeMinor, description: `${priced.name} plan fee` }],
        reference,
        periodStart: period.start,
        trigger: "renewal",
        description: `Tollgate ${priced.name} plan fee for ${app.id}`,
        card,
      });
      if (payment.paid) {
        await tx.appSubscription.update({ where: { appId: app.id }, data: { ...settled, status: "active", amountDueMinor: 0, graceEndsAt: null, declinedPaymentMethodRef: null } });
        await writeAuditLog(tx, {
          actor: SYSTEM_ACTOR,
          action: "billing.renewal",
          targetType: "app",
          targetId: app.id,
          after: { planSlug: priced.slug, feeMinor, paidWith: payment.source, periodStart: period.start.toISOString() },
        });
        await recordRelayChange(tx, { appId: app.id });
        return { outcome: "renewed" as const, changed: true };
      }
      const graceEndsAt = new Date(period.start.getTime() + graceMs);
      await tx.appSubscription.update({
        where: { appId: app.id },
        data: { ...settled, status: "past_due", amountDueMinor: feeMinor, graceEndsAt, declinedPaymentMethodRef: payment.declinedPaymentMethodRef },
      });
      await writeAuditLog(tx, {
        actor: SYSTEM_ACTOR,
        action: "billing.past_due",
        targetType: "app",
        targetId: app.id,
        after: { planSlug: priced.slug, amountDueMinor: feeMinor, reason: payment.reason, graceEndsAt: graceEndsAt.toISOString() },
      });
      await emitAppEvent(tx, {
        appId: app.id,
        event: { type: "plan_fee.failed", planName: priced.name, amountMinor: feeMinor, reason: payment.reason, periodStartUnix: Math.floor(period.start.getTime() / 1000), graceEndsAt: graceEndsAt.toISOString() },
      });
      // A renewal that runs late (nothing swept for longer than the grace) finds the grace already over.
      await announceGraceEnded(tx, { appId: app.id, subscription: { status: "past_due", graceEndsAt, amountDueMinor: feeMinor, renewedPeriodStart: period.start }, planName: priced.name, now });
      await recordRelayChange(tx, { appId: app.id });
      return { outcome: "past_due" as const, changed: true };
    },
    { timeout: 20_000 },
  );
  if (result.changed) notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return result.outcome;
}

/**
 * Raises plan_fee.grace_ended when the subscription is past due and its grace is over, i.e. exactly when
 * relays start giving the app Free's limits (pastDueGraceExpired). Called with the
 * subscription row locked; the event's dedupe key (app, past-due period) keeps it to one however many
 * sweeps and page loads find the grace over. Returns whether this call raised it.
 */
async function announceGraceEnded(
  tx: Prisma.TransactionClient,
  input: { appId: string; subscription: { status: string; graceEndsAt: Date | null; amountDueMinor: number; renewedPeriodStart: Date }; planName: string; now: Date },
): Promise<boolean> {
  const { subscription } = input;
  if (!pastDueGraceExpired(subscription, input.now) || !subscription.graceEndsAt) return false;
  const { emitted } = await emitAppEvent(tx, {
    appId: input.appId,
    now: input.now,
    event: {
      type: "plan_fee.grace_ended",
      planName: input.planName,
      amountMinor: subscription.amountDueMinor,
      periodStartUnix: toUnixSeconds(subscription.renewedPeriodStart),
      graceEndsAt: subscription.graceEndsAt.toISOString(),
    },
  });
  return emitted;
}

/**
 * The sweep: renews every app whose period has turned and retries past-due fees. Cheap when nothing is
 * due (one indexed query); run by the sweep-renewals job every minute.
 */
export async function renewDueSubscriptions(db: Db, provider: PaymentProvider, input: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = input.now ?? new Date();
  const missing = await db.app.findMany({ where: { subscription: null }, select: { id: true } });
  for (const app of missing) await db.$transaction((tx) => ensureSubscription(tx, app.id, now));
  const due = await db.appSubscription.findMany({
    where: { OR: [{ renewsAt: { lte: now } }, { status: "past_due" }] },
    select: { appId: true },
  });
  let renewed = 0;
  for (const { appId } of due) {
    const outcome = await renewApp(db, provider, { appId, now, graceMs: input.graceMs }).catch((error: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "plan renewal failed", appId, error: error instanceof Error ? error.message : String(error) }));
      return "not_due" as const;
    });
    if (outcome !== "not_due" && outcome !== "still_past_due") renewed++;
  }
  return renewed;
}

/**
 * Whether the relay should give the app Free's limits: past due and the grace period is over. The
 * renewal job scheduled at the grace end announces the same moment (announceGraceEnded).
 */
export function pastDueGraceExpired(subscription: { status: string; graceEndsAt: Date | null } | null, now: Date): boolean {
  return subscription?.status === "past_due" && subscription.graceEndsAt !== null && subscription.graceEndsAt.getTime() <= now.getTime();
}
