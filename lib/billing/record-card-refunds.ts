// Money returned to a card leaves the balance that charge credited: one `refund` debit per refund at the
// provider, however often the provider announces it (its reference is the refund's id, unique per
// account). An admin refund made through the provider (billing-corrections.ts) posts the
// same reference, so the webhook that follows it moves nothing again.
import type { Db } from "@/lib/db";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { postLedgerEntry } from "./post-ledger-entry";

export function refundReference(refundId: string): string {
  return `refund:${refundId}`;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}

/**
 * Debits each succeeded refund of the charge `chargeId` (the attempt's provider reference) once.
 * Returns how many refunds it recorded now; a charge no attempt of ours made records nothing.
 */
export async function recordCardRefunds(
  db: Db,
  input: { chargeId: string; refunds: { id: string; amountMinor: number; status: string | null }[] },
): Promise<number> {
  const attempt = await db.paymentAttempt.findFirst({
    where: { providerReference: input.chargeId, status: "succeeded" },
    select: { billingAccountId: true, paymentMethodRef: true, billingAccount: { select: { tenantId: true, paymentMethodLast4: true } } },
  });
  if (!attempt) return 0;
  const last4 = attempt.billingAccount.paymentMethodLast4 ?? attempt.paymentMethodRef?.slice(-4) ?? "";
  let recorded = 0;
  for (const refund of input.refunds.filter((candidate) => candidate.status === "succeeded")) {
    const reference = refundReference(refund.id);
    try {
      const posted = await db.$transaction(async (tx) => {
        const existing = await tx.ledgerEntry.findUnique({ where: { billingAccountId_reference: { billingAccountId: attempt.billingAccountId, reference } }, select: { id: true } });
        if (existing) return false;
        await postLedgerEntry(tx, {
          billingAccountId: attempt.billingAccountId,
          kind: "refund",
          amountMinor: -refund.amountMinor,
          description: `Refund to the card ending ${last4}`,
          reference,
        });
        await recordRelayChange(tx, { tenantId: attempt.billingAccount.tenantId });
        return true;
      });
      if (posted) recorded++;
    } catch (error) {
      // The same refund announced twice at once: the other delivery recorded it.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  if (recorded > 0) notifyRelaysOfChange({ kind: "billing" });
  return recorded;
}
