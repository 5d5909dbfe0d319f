import { randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import type { LedgerEntryView } from "./billing.types";
import { describePaymentMethod, type PaymentProvider } from "./payment-provider";
import { postLedgerEntry } from "./post-ledger-entry";
import { toLedgerEntryView } from "./to-billing-views";

/**
 * Charges a card and credits the balance. The charge happens before the transaction (a provider call
 * must not hold database locks); the attempt, ledger entry and audit entry are then written together.
 * A declined card is recorded as an attempt and answered with payment_failed. The first card that
 * succeeds becomes the account's stored payment method (used by auto-recharge); without a card number
 * the top-up charges that stored card.
 */
function storedCard(paymentMethodRef: string | null): { status: "saved"; paymentMethodRef: string; last4: string } {
  const card = describePaymentMethod(paymentMethodRef);
  if (!card) throw new DomainError("unprocessable", "There is no card on file yet: enter a card number", { field: "cardNumber" });
  return { status: "saved", paymentMethodRef: card.ref, last4: card.last4 };
}

export async function topUpBalance(
  db: Db,
  provider: PaymentProvider,
  input: { actor: Actor; appId: string; amountMinor: number; cardNumber?: string },
): Promise<{ balanceMinor: number; entry: LedgerEntryView }> {
  const account = await db.billingAccount.findUnique({ where: { appId: input.appId }, select: { id: true, paymentMethodRef: true } });
  if (!account) throw notFound("Billing account");
  const saved = input.cardNumber === undefined ? storedCard(account.paymentMethodRef) : await provider.savePaymentMethod(input.cardNumber);
  if (saved.status === "invalid") throw new DomainError("unprocessable", saved.message, { field: "cardNumber" });
  const charge =
    saved.status === "declined"
      ? saved
      : await provider.charge({
          paymentMethodRef: saved.paymentMethodRef,
          amountMinor: input.amountMinor,
          idempotencyKey: `topup_${randomUUID()}`,
          description: `Tollgate top-up for ${input.appId}`,
        });
  if (charge.status === "declined") {
    await db.paymentAttempt.create({
      data: {
        billingAccountId: account.id,
        kind: "top_up",
        status: "declined",
        amountMinor: input.amountMinor,
        providerReference: charge.declineCode,
        failureReason: charge.message,
        trigger: "dashboard",
        paymentMethodRef: saved.status === "saved" ? saved.paymentMethodRef : null,
      },
    });
    throw new DomainError("payment_failed", `${charge.message} (${charge.declineCode}). No money was taken.`, { field: "cardNumber" });
  }
  const result = await db.$transaction(async (tx) => {
    await tx.paymentAttempt.create({
      data: { billingAccountId: account.id, kind: "top_up", status: "succeeded", amountMinor: input.amountMinor, providerReference: charge.chargeId, trigger: "dashboard", paymentMethodRef: saved.status === "saved" ? saved.paymentMethodRef : null },
    });
    const entry = await postLedgerEntry(tx, {
      billingAccountId: account.id,
      kind: "top_up",
      amountMinor: input.amountMinor,
      description: `Top-up with card ending ${saved.status === "saved" ? saved.last4 : ""}`,
      reference: charge.chargeId,
    });
    if (!account.paymentMethodRef && saved.status === "saved") {
      await tx.billingAccount.update({ where: { id: account.id }, data: { paymentMethodRef: saved.paymentMethodRef } });
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "billing.top_up",
      targetType: "app",
      targetId: input.appId,
      before: { balanceMinor: entry.balanceAfterMinor - input.amountMinor },
      after: { balanceMinor: entry.balanceAfterMinor, chargeId: charge.chargeId },
    });
    return { balanceMinor: entry.balanceAfterMinor, entry: toLedgerEntryView(entry) };
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return result;
}
