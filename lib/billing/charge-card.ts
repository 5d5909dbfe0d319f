// A card charge that happens once per idempotency key, whichever web replica asks, however often, and
// across restarts. Three steps, never inside a database transaction that holds a lock:
//   1. write the attempt (status `pending`, with its key) — a second caller with the same key finds it;
//   2. call the provider with that key (a provider answers a repeated key with its first outcome);
//   3. record the outcome; the caller that flips the row from `pending` credits the balance, in the
//      same transaction, so the money lands once.
// A process that dies between 1 and 3 leaves a pending row: `settlePendingCharges` (a job) repeats step 2
// with the same key and records what the provider says, so the customer is never charged twice and a
// charge that went through is never lost.
import type { Db, Prisma } from "@/lib/db";
import type { LedgerEntry, LedgerEntryKind, PaymentAttempt, PaymentAttemptKind } from "@/lib/generated/prisma/client";
import type { ChargeResult, PaymentProvider } from "./payment-provider";
import { postLedgerEntry } from "./post-ledger-entry";

export interface CardChargeRequest {
  billingAccountId: string;
  kind: PaymentAttemptKind;
  amountMinor: number;
  paymentMethodRef: string;
  /** Unique per deployment; the same key is the same charge. */
  idempotencyKey: string;
  /** What asked for the charge: "dashboard", "renewal", "plan_change", "relay:message", … */
  trigger: string;
  description: string;
}

/** Runs in the transaction that records the outcome, only for the caller that records it. */
export type OnSettled = (tx: Prisma.TransactionClient, outcome: CardChargeOutcome, credit: LedgerEntry | null) => Promise<void>;

export type CardChargeOutcome =
  | { status: "succeeded"; attemptId: string; paymentMethodRef: string; chargeId: string; amountMinor: number; balanceMinor: number; replayed: boolean }
  | { status: "declined"; attemptId: string; paymentMethodRef: string; declineCode: string; message: string; replayed: boolean };

/** The ledger kind a successful charge of each kind credits. */
const CREDIT_KIND: Record<PaymentAttemptKind, LedgerEntryKind> = {
  top_up: "top_up",
  auto_recharge: "auto_recharge",
  plan_fee: "card_payment",
};

/** The reference of the ledger entry a successful charge credits (unique per account, like every reference). */
export function creditReference(idempotencyKey: string): string {
  return `charge:${idempotencyKey}`;
}

function creditDescription(attempt: PaymentAttempt, storedCard: { paymentMethodRef: string | null; paymentMethodLast4: string | null }): string {
  // A provider that reports the card's digits (Stripe) has them on the account; the test provider's ref ends with them.
  const reportedLast4 = storedCard.paymentMethodRef === attempt.paymentMethodRef ? storedCard.paymentMethodLast4 : null;
  const last4 = reportedLast4 ?? attempt.paymentMethodRef?.slice(-4) ?? "";
  switch (attempt.kind) {
    case "top_up":
      return `Top-up with card ending ${last4}`;
    case "auto_recharge":
      return `Auto-recharge (${attempt.trigger})`;
    case "plan_fee":
      return `Card ending ${last4}: ${attempt.description ?? "plan fee"}`;
  }
}

async function outcomeOf(db: Db | Prisma.TransactionClient, attempt: PaymentAttempt, replayed: boolean): Promise<CardChargeOutcome> {
  if (attempt.status === "declined") {
    return { status: "declined", attemptId: attempt.id, paymentMethodRef: attempt.paymentMethodRef ?? "", declineCode: attempt.providerReference ?? "card_declined", message: attempt.failureReason ?? "The card was declined", replayed };
  }
  const account = await db.billingAccount.findUniqueOrThrow({ where: { id: attempt.billingAccountId }, select: { balanceMinor: true } });
  return { status: "succeeded", attemptId: attempt.id, paymentMethodRef: attempt.paymentMethodRef ?? "", chargeId: attempt.providerReference ?? "", amountMinor: attempt.amountMinor, balanceMinor: account.balanceMinor, replayed };
}

/**
 * Records the provider's answer for a pending attempt. Only the caller that moves the row out of
 * `pending` posts the credit (and runs `onSettled`, in the same transaction); everyone else reads the
 * recorded outcome.
 */
async function recordOutcome(
  db: Db,
  attempt: PaymentAttempt,
  result: ChargeResult,
  onSettled?: OnSettled,
): Promise<{ attempt: PaymentAttempt; settledNow: boolean }> {
  return db.$transaction(async (tx) => {
    const flipped = await tx.paymentAttempt.updateMany({
      where: { id: attempt.id, status: "pending" },
      data:
        result.status === "succeeded"
          ? { status: "succeeded", providerReference: result.chargeId, settledAt: new Date() }
          : { status: "declined", providerReference: result.declineCode, failureReason: result.message, settledAt: new Date() },
    });
    const settled = await tx.paymentAttempt.findUniqueOrThrow({ where: { id: attempt.id } });
    if (flipped.count === 0) return { attempt: settled, settledNow: false };
    const credit =
      settled.status !== "succeeded"
        ? null
        : await postLedgerEntry(tx, {
            billingAccountId: settled.billingAccountId,
            kind: CREDIT_KIND[settled.kind],
            amountMinor: settled.amountMinor,
            description: creditDescription(
              settled,
              await tx.billingAccount.findUniqueOrThrow({ where: { id: settled.billingAccountId }, select: { paymentMethodRef: true, paymentMethodLast4: true } }),
            ),
            reference: creditReference(settled.idempotencyKey ?? settled.id),
          });
    await onSettled?.(tx, await outcomeOf(tx, settled, false), credit);
    return { attempt: settled, settledNow: true };
  });
}

async function callProvider(provider: PaymentProvider, attempt: PaymentAttempt): Promise<ChargeResult> {
  return provider.charge({
    paymentMethodRef: attempt.paymentMethodRef ?? "",
    amountMinor: attempt.amountMinor,
    idempotencyKey: attempt.idempotencyKey ?? attempt.id,
    description: attempt.description ?? "",
  });
}

/** Writes the pending attempt unless one with this key exists; returns the row either way. */
export async function writePendingCharge(db: Db | Prisma.TransactionClient, request: CardChargeRequest): Promise<PaymentAttempt> {
  await db.paymentAttempt.createMany({
    data: [
      {
        billingAccountId: request.billingAccountId,
        kind: request.kind,
        status: "pending",
        amountMinor: request.amountMinor,
        paymentMethodRef: request.paymentMethodRef,
        idempotencyKey: request.idempotencyKey,
        trigger: request.trigger,
        description: request.description,
      },
    ],
    skipDuplicates: true,
  });
  return db.paymentAttempt.findUniqueOrThrow({ where: { idempotencyKey: request.idempotencyKey } });
}

/**
 * Completes a pending attempt (or reads a settled one): the provider is asked with the attempt's own
 * key, so finishing someone else's attempt — a concurrent request, a crashed process — never charges again.
 */
export async function completeCharge(
  db: Db,
  provider: PaymentProvider,
  attempt: PaymentAttempt,
  onSettled?: OnSettled,
): Promise<CardChargeOutcome> {
  if (attempt.status !== "pending") return outcomeOf(db, attempt, true);
  const result = await callProvider(provider, attempt);
  const recorded = await recordOutcome(db, attempt, result, onSettled);
  return outcomeOf(db, recorded.attempt, !recorded.settledNow);
}

/** Steps 1–3 for one charge. Must not be called inside a transaction. */
export async function chargeCardOnce(
  db: Db,
  provider: PaymentProvider,
  request: CardChargeRequest,
  onSettled?: OnSettled,
): Promise<CardChargeOutcome> {
  const attempt = await writePendingCharge(db, request);
  return completeCharge(db, provider, attempt, onSettled);
}

/** Pending attempts older than this are taken to be abandoned (their process died mid-charge). */
export const ABANDONED_CHARGE_AFTER_MS = 60_000;

export type AnnouncedOutcome = "settled" | "already_settled" | "in_progress" | "unknown_attempt";

/**
 * Records an outcome the provider announced on its own (a Stripe webhook) for the attempt with this key,
 * as the settle job would: the credit is posted by whoever flips the row, so it lands once. An attempt
 * younger than ABANDONED_CHARGE_AFTER_MS is left to the process charging it (its onSettled — a plan
 * change, the first card saved — must run): `in_progress` tells the provider to announce it again later.
 */
export async function settleAnnouncedCharge(
  db: Db,
  input: { idempotencyKey: string; result: ChargeResult; now?: Date },
): Promise<AnnouncedOutcome> {
  const attempt = await db.paymentAttempt.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
  if (!attempt) return "unknown_attempt";
  if (attempt.status !== "pending") return "already_settled";
  const now = input.now ?? new Date();
  if (now.getTime() - attempt.createdAt.getTime() < ABANDONED_CHARGE_AFTER_MS) return "in_progress";
  const recorded = await recordOutcome(db, attempt, input.result);
  return recorded.settledNow ? "settled" : "already_settled";
}

/**
 * The settle job: finishes attempts left pending by a process that stopped between writing the attempt
 * and recording the outcome. Returns how many it settled.
 */
export async function settlePendingCharges(db: Db, provider: PaymentProvider, input: { now?: Date; olderThanMs?: number } = {}): Promise<number> {
  const now = input.now ?? new Date();
  const abandoned = await db.paymentAttempt.findMany({
    where: { status: "pending", createdAt: { lte: new Date(now.getTime() - (input.olderThanMs ?? ABANDONED_CHARGE_AFTER_MS)) } },
    orderBy: { createdAt: "asc" },
    take: 100,
  });
  let settled = 0;
  for (const attempt of abandoned) {
    const outcome = await completeCharge(db, provider, attempt).catch((error: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "settling a pending charge failed", attemptId: attempt.id, error: error instanceof Error ? error.message : String(error) }));
      return null;
    });
    if (outcome && !outcome.replayed) settled++;
  }
  return settled;
}
