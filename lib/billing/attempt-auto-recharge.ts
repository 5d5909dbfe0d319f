import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/db";
import type { PaymentAttempt } from "@/lib/generated/prisma/client";
import { notFound } from "@/lib/errors";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { PaymentProvider } from "./payment-provider";
import { completeCharge, writePendingCharge } from "./charge-card";
import { spendCapReached } from "./spend-cap";

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
 * Tops the balance up from the stored card when auto-recharge is on and the balance is at or below its
 * threshold. The decision is taken with the account row locked and ends in a pending attempt
 * (charge-card.ts); the card is charged after that lock is released. Callers that arrive while a charge
 * is in flight (several relay nodes, several connections) complete that same attempt with its key
 * instead of starting another, so they cause one charge, not one each. The charge covers the configured
 * amount plus any debt below zero.
 *
 * Guardrails (issue 12): no charge once the period's usage charges reached the spend cap (the money
 * could not be spent), and none that would take the period's auto-recharged total past the monthly
 * ceiling (an amount, so it bounds the bill whatever the recharge size; the charge is refused whole
 * rather than cut, so every recharge is the amount the customer chose).
 */
export async function attemptAutoRecharge(
  db: Db,
  provider: PaymentProvider,
  input: { appId: string; trigger: string; now?: Date },
): Promise<AutoRechargeOutcome> {
  const now = input.now ?? new Date();
  const decision = await db.$transaction(
    async (tx): Promise<{ refused: AutoRechargeOutcome } | { attempt: PaymentAttempt; periodStartUnix: number }> => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "BillingAccount" WHERE "appId" = ${input.appId} FOR UPDATE`;
      const accountId = locked[0]?.id;
      if (!accountId) throw notFound("Billing account");
      const account = await tx.billingAccount.findUniqueOrThrow({ where: { id: accountId } });
      const refused = (reason: string) => ({ refused: { recharged: false, balanceMinor: account.balanceMinor, reason, chargedMinor: 0 } });
      if (!account.autoRechargeEnabled) return refused("Auto-recharge is off");
      const app = await tx.app.findUniqueOrThrow({ where: { id: input.appId }, select: { billingAnchor: true, spendControls: true } });
      const period = billingPeriodAt(app.billingAnchor, now);
      const periodStartUnix = toUnixSeconds(period.start);
      const spent = await tx.usagePeriod.findUnique({ where: { appId_start: { appId: input.appId, start: period.start } }, select: { overageCostMinor: true } });
      if (spendCapReached(app.spendControls?.monthlySpendCapMinor ?? null, spent?.overageCostMinor ?? 0)) {
        return refused("The monthly spend cap is reached; auto-recharge resumes next period or when the cap is raised");
      }
      if (account.balanceMinor > account.autoRechargeThresholdMinor) return { refused: { recharged: true, balanceMinor: account.balanceMinor, chargedMinor: 0 } };
      const inFlight = await tx.paymentAttempt.findFirst({ where: { billingAccountId: account.id, kind: "auto_recharge", status: "pending" }, orderBy: { createdAt: "asc" } });
      if (inFlight) return { attempt: inFlight, periodStartUnix };
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
      const ceilingMinor = app.spendControls?.autoRechargeMonthlyCeilingMinor ?? null;
      if (ceilingMinor !== null) {
        const recharged = await tx.paymentAttempt.aggregate({
          where: { billingAccountId: account.id, kind: "auto_recharge", status: { in: ["succeeded", "pending"] }, createdAt: { gte: period.start } },
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
        description: `Tollgate auto-recharge for ${input.appId}`,
      });
      return { attempt, periodStartUnix };
    },
    { timeout: 15_000 },
  );
  if ("refused" in decision) return decision.refused;
  const { attempt, periodStartUnix } = decision;
  const charge = await completeCharge(db, provider, attempt, async (tx, outcome) => {
    if (outcome.status === "succeeded") await recordRelayChange(tx, { appId: input.appId });
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
