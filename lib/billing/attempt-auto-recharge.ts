import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import type { PaymentProvider } from "./payment-provider";
import { postLedgerEntry } from "./post-ledger-entry";
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
 * threshold. The account row stays locked for the whole attempt so relays asking at the same time
 * (several nodes, several connections) cause one charge, not one each: the later callers see the
 * recharged balance. The charge covers the configured amount plus any debt below zero.
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
  const outcome = await db.$transaction(
    async (tx): Promise<AutoRechargeOutcome> => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "BillingAccount" WHERE "appId" = ${input.appId} FOR UPDATE`;
      const accountId = locked[0]?.id;
      if (!accountId) throw notFound("Billing account");
      const account = await tx.billingAccount.findUniqueOrThrow({ where: { id: accountId } });
      const refused = (reason: string): AutoRechargeOutcome => ({ recharged: false, balanceMinor: account.balanceMinor, reason, chargedMinor: 0 });
      if (!account.autoRechargeEnabled) return refused("Auto-recharge is off");
      const app = await tx.app.findUniqueOrThrow({ where: { id: input.appId }, select: { billingAnchor: true, spendControls: true } });
      const period = billingPeriodAt(app.billingAnchor, now);
      const periodStartUnix = toUnixSeconds(period.start);
      const spent = await tx.usagePeriod.findUnique({ where: { appId_start: { appId: input.appId, start: period.start } }, select: { overageCostMinor: true } });
      if (spendCapReached(app.spendControls?.monthlySpendCapMinor ?? null, spent?.overageCostMinor ?? 0)) {
        return refused("The monthly spend cap is reached; auto-recharge resumes next period or when the cap is raised");
      }
      if (account.balanceMinor > account.autoRechargeThresholdMinor) return { recharged: true, balanceMinor: account.balanceMinor, chargedMinor: 0 };
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
          where: { billingAccountId: account.id, kind: "auto_recharge", status: "succeeded", createdAt: { gte: period.start } },
          _sum: { amountMinor: true },
        });
        const rechargedMinor = recharged._sum.amountMinor ?? 0;
        if (rechargedMinor + amountMinor > ceilingMinor) {
          await emitAppEvent(tx, { appId: input.appId, event: { type: "auto_recharge.ceiling_reached", ceilingMinor, rechargedMinor, periodStartUnix }, now });
          return refused("The monthly auto-recharge ceiling is reached");
        }
      }
      const charge = await provider.charge({
        paymentMethodRef: account.paymentMethodRef,
        amountMinor,
        idempotencyKey: `autorecharge_${randomUUID()}`,
        description: `Tollgate auto-recharge for ${input.appId}`,
      });
      if (charge.status === "declined") {
        await tx.paymentAttempt.create({
          data: {
            billingAccountId: account.id,
            kind: "auto_recharge",
            status: "declined",
            amountMinor,
            providerReference: charge.declineCode,
            failureReason: charge.message,
            trigger: input.trigger,
            paymentMethodRef: account.paymentMethodRef,
          },
        });
        await emitAppEvent(tx, {
          appId: input.appId,
          event: { type: "auto_recharge.declined", amountMinor, reason: `${charge.message} (${charge.declineCode})`, cardLast4: account.paymentMethodRef.slice(-4), periodStartUnix },
          now,
        });
        return refused(`Auto-recharge declined: ${charge.message} (${charge.declineCode})`);
      }
      await tx.paymentAttempt.create({
        data: {
          billingAccountId: account.id,
          kind: "auto_recharge",
          status: "succeeded",
          amountMinor,
          providerReference: charge.chargeId,
          trigger: input.trigger,
          paymentMethodRef: account.paymentMethodRef,
        },
      });
      const entry = await postLedgerEntry(tx, {
        billingAccountId: account.id,
        kind: "auto_recharge",
        amountMinor,
        description: `Auto-recharge (${input.trigger})`,
        reference: charge.chargeId,
      });
      return { recharged: true, balanceMinor: entry.balanceAfterMinor, chargedMinor: amountMinor };
    },
    { timeout: 15_000 },
  );
  if (outcome.chargedMinor > 0) notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return outcome;
}
