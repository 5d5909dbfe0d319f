import { randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { LedgerEntryView } from "./billing.types";
import { describePaymentMethod, type PaymentProvider } from "./payment-provider";
import { chargeCardOnce, creditReference } from "./charge-card";
import { teamAccountOfApp } from "./team-account";
import { toLedgerEntryView } from "./to-billing-views";

/**
 * Charges a card and credits the balance (charge-card.ts: the attempt is written, the provider called
 * outside any transaction, the outcome and its ledger entry recorded once). A declined card is answered
 * with payment_failed. The first card that succeeds becomes the account's stored payment method (used
 * by auto-recharge); without a card number the top-up charges that stored card. A request repeating an
 * idempotency key gets the first outcome and is never charged again.
 */
function storedCard(paymentMethodRef: string | null): { status: "saved"; paymentMethodRef: string; last4: string } {
  const card = describePaymentMethod(paymentMethodRef);
  if (!card) throw new DomainError("unprocessable", "There is no card on file yet: add a card", { field: "cardNumber" });
  return { status: "saved", paymentMethodRef: card.ref, last4: card.last4 };
}

function declined(charge: { declineCode: string; message: string }): DomainError {
  return new DomainError("payment_failed", `${charge.message} (${charge.declineCode}). No money was taken.`, { field: "cardNumber" });
}

export async function topUpBalance(
  db: Db,
  provider: PaymentProvider,
  input: { actor: Actor; appId: string; amountMinor: number; cardNumber?: string; idempotencyKey?: string },
): Promise<{ balanceMinor: number; entry: LedgerEntryView; replayed: boolean }> {
  // The team's wallet: a top-up from any app's billing page is money for all the team's apps.
  const account = await teamAccountOfApp(db, input.appId);
  const saved = input.cardNumber === undefined ? storedCard(account.paymentMethodRef) : await provider.savePaymentMethod(input.cardNumber);
  if (saved.status === "invalid") throw new DomainError("unprocessable", saved.message, { field: "cardNumber" });
  if (saved.status === "declined") {
    await db.paymentAttempt.create({
      data: { billingAccountId: account.id, kind: "top_up", status: "declined", amountMinor: input.amountMinor, providerReference: saved.declineCode, failureReason: saved.message, trigger: "dashboard", settledAt: new Date() },
    });
    throw declined(saved);
  }
  const idempotencyKey = `top_up:${account.id}:${input.idempotencyKey ?? randomUUID()}`;
  const charge = await chargeCardOnce(
    db,
    provider,
    {
      billingAccountId: account.id,
      kind: "top_up",
      amountMinor: input.amountMinor,
      paymentMethodRef: saved.paymentMethodRef,
      idempotencyKey,
      trigger: "dashboard",
      description: `Tollgate top-up for team ${account.tenantId}`,
    },
    async (tx, outcome) => {
      if (outcome.status !== "succeeded") return;
      await recordRelayChange(tx, { tenantId: account.tenantId });
      if (!account.paymentMethodRef) await tx.billingAccount.update({ where: { id: account.id }, data: { paymentMethodRef: saved.paymentMethodRef } });
      await writeAuditLog(tx, {
        actor: input.actor,
        action: "billing.top_up",
        targetType: "app",
        targetId: input.appId,
        before: { balanceMinor: outcome.balanceMinor - input.amountMinor },
        after: { balanceMinor: outcome.balanceMinor, chargeId: outcome.chargeId },
      });
    },
  );
  if (charge.status === "declined") throw declined(charge);
  if (!charge.replayed) notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  const entry = await db.ledgerEntry.findUniqueOrThrow({ where: { billingAccountId_reference: { billingAccountId: account.id, reference: creditReference(idempotencyKey) } } });
  return { balanceMinor: charge.balanceMinor, entry: toLedgerEntryView(entry), replayed: charge.replayed };
}
