import type { LedgerEntry, PaymentAttempt } from "@/lib/generated/prisma/client";
import type { LedgerEntryView, PaymentAttemptView } from "./billing.types";

export function toLedgerEntryView(entry: LedgerEntry): LedgerEntryView {
  return {
    id: entry.id,
    kind: entry.kind,
    amountMinor: entry.amountMinor,
    balanceAfterMinor: entry.balanceAfterMinor,
    description: entry.description,
    reference: entry.reference,
    appId: entry.appId,
    createdAt: entry.createdAt.toISOString(),
  };
}

export function toPaymentAttemptView(attempt: PaymentAttempt): PaymentAttemptView {
  return {
    id: attempt.id,
    kind: attempt.kind,
    status: attempt.status,
    amountMinor: attempt.amountMinor,
    failureReason: attempt.failureReason,
    trigger: attempt.trigger,
    createdAt: attempt.createdAt.toISOString(),
  };
}
