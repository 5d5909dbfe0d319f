import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/db";
import type { PaymentAttempt } from "@/lib/generated/prisma/client";
import { notFound } from "@/lib/errors";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { billingPeriodAt, calendarMonthAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { PaymentProvider } from "./payment-provider";
import { completeCharge, writePendingCharge } from "./charge-card";
import { spendCapReached } from "./spend-cap";
import { lockTeamAccount, teamUsageChargesMinor } from "./team-account";

/**
 * After a declined auto-recharge, further attempts on the same card wait this long instead of hammering
 * it. The back-off belongs to the card: a newly saved card is tried at once.
 */
export const AUTO_RECHARGE_RETRY_AFTER_DECLINE_MS = 60_000;

export interface AutoRechargeOutcome {
  /** True when the balance is above the threshold afterwards: charged now, or it already was. */
  recharged: boolean;
  balanceMinor: number;
  /** Why not, when not recharged. */
  reason?: string;
  /** The amount charged now (0 when no charge was made). */
  chargedMinor: number;
}

/**
 * Tops the team's balance up from its stored card when auto-recharge is on and the balance is at or
 * below its threshold; `appId` is the app whose usage asked (told about a decline or the ceiling). The
 * decision is taken with the team's account row locked and ends in a pending attempt
 * (charge-card.ts); the card is charged after that lock is released. Callers that arrive while a charge
 * is in flight (several relay nodes, several connections) complete that same attempt with its key
 * instead of starting another, so they cause one charge, not one each. The charge covers the configured
 * amount plus any debt below zero.
 *
 * Guardrails (issue 12, the team's since issue 27): no charge once the team's usage charges this month
 * reached its spend cap (the money could not be spent; an app's own cap does not stop it, the team's
 * other apps may still spend), and none that would take the month's auto-recharged total past the
 * team's monthly ceiling (an amount, so it bounds the bill whatever the recharge size; the charge is
 * refused whole rather than cut, so every recharge is the amount the customer chose).
 */
export async function attemptAutoRecharge(
  db: Db,
  provider: PaymentProvider,
  input: { appId: string; trigger: string; now?: Date },
): Promise<AutoRechargeOutcome> {
  const now = input.now ?? new Date();
  const decision = await db.$transaction(
    async (tx): Promise<{ refused: AutoRechargeOutcome } | { attempt: PaymentAttempt; periodStartUnix: number; tenantId: string }> => {
      const app = await tx.app.findUnique({ where: { id: input.appId }, select: { tenantId: true, billingAnchor: true } });
      if (!app) throw notFound("App");
      const account = await lockTeamAccount(tx, app.tenantId);
      const refused = (reason: string) => ({ refused: { recharged: false, balanceMinor: account.balanceMinor, reason, chargedMinor: 0 } });
      if (!account.autoRechargeEnabled) return refused("Auto-recharge is off");
      // Events name the app's own period (their dedupe keys); the team's guardrails count per calendar month.
      const periodStartUnix = toUnixSeconds(billingPeriodAt(app.billingAnchor, now).start);
      const month = calendarMonthAt(now);
      if (account.monthlySpendCapMinor !== null && spendCapReached([{ capMinor: account.monthlySpendCapMinor, spentMinor: await teamUsageChargesMinor(tx, { billingAccountId: account.id, now }) }])) {
        return refused("The team's monthly spend cap is reached; auto-recharge resumes next month or when the cap is raised");
      }
      if (account.balanceMinor > account.autoRechargeThresholdMinor) return { refused: { recharged: true, balanceMinor: account.balanceMinor, chargedMinor: 0 } };
      const inFlight = await tx.paymentAttempt.findFirst({ where: { billingAccountId: account.id, kind: "auto_recharge", status: "pending" }, orderBy: { createdAt: "asc" } });
      if (inFlight) return { attempt: inFlight, periodStartUnix, tenantId: app.tenantId };
      if (!account.paymentMethodRef) return refused("No card on file for auto-recharge");
      const lastAttempt = await tx.paymentAttempt.findFirst({
        where: { billingAccountId: account.id, kind: "auto_recharge", paymentMethodRef: account.paymentMethodRef },
        orderBy: { createdAt: "desc" },
        select: { status: true, createdAt: true },
      });
      if (lastAttempt?.status === "declined" && now.getTime() - lastAttempt.createdAt.getTime() < AUTO_RECHARGE_RETRY_AFTER_DECLINE_MS) {
        return refused(`The card ending ${account.paymentMethodRef.slice(-4)} was declined recently; auto-recharge retries it after a minute, or save another card`);
      }
      const amountMinor = account.autoRechargeAmountMinor + Math.max(0, -account.balanceMinor);
      const ceilingMinor = account.autoRechargeMonthlyCeilingMinor;
      if (ceilingMinor !== null) {
        const recharged = await tx.paymentAttempt.aggregate({
          where: { billingAccountId: account.id, kind: "auto_recharge", status: { in: ["succeeded", "pending"] }, createdAt: { gte: month.start } },
          _sum: { amountMinor: true },
        });
        const rechargedMinor = recharged._sum.amountMinor ?? 0;
        if (rechargedMinor + amountMinor > ceilingMinor) {
          await emitAppEvent(tx, { appId: input.appId, event: { type: "auto_recharge.ceiling_reached", ceilingMinor, rechargedMinor, periodStartUnix }, now });
          return refused("The monthly auto-recharge ceiling is reached");
        }
      }
      const attempt = await writePendingCharge(tx, {
        billingAccountId: account.id,
        kind: "auto_recharge",
        amountMinor,
        paymentMethodRef: account.paymentMethodRef,
        idempotencyKey: `auto_recharge:${account.id}:${randomUUID()}`,
        trigger: input.trigger,
        description: `Tollgate auto-recharge for team ${app.tenantId}`,
      });
      return { attempt, periodStartUnix, tenantId: app.tenantId };
    },
    { timeout: 15_000 },
  );
  if ("refused" in decision) return decision.refused;
  const { attempt, periodStartUnix, tenantId } = decision;
  const charge = await completeCharge(db, provider, attempt, async (tx, outcome) => {
    if (outcome.status === "succeeded") await recordRelayChange(tx, { tenantId });
    if (outcome.status !== "declined") return;
    await emitAppEvent(tx, {
      appId: input.appId,
      event: { type: "auto_recharge.declined", amountMinor: attempt.amountMinor, reason: `${outcome.message} (${outcome.declineCode})`, cardLast4: (attempt.paymentMethodRef ?? "").slice(-4), periodStartUnix },
      now,
    });
  });
  if (charge.status === "declined") {
    const account = await db.billingAccount.findUniqueOrThrow({ where: { id: attempt.billingAccountId }, select: { balanceMinor: true } });
    return { recharged: false, balanceMinor: account.balanceMinor, reason: `Auto-recharge declined: ${charge.message} (${charge.declineCode})`, chargedMinor: 0 };
  }
  if (!charge.replayed) notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return { recharged: true, balanceMinor: charge.balanceMinor, chargedMinor: charge.replayed ? 0 : charge.amountMinor };
}
