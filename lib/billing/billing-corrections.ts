// A platform admin's corrections to a team's balance (made from one of its apps, whose invoice lines a
// credit or adjustment joins), each with the reason the customer reads in the ledger,
// each audited, each once per idempotency key (the same key returns the first outcome; another request
// under it is a 409):
//   credit      money added; on the team's next invoice, or at once as a credit note against an issued one
//   adjustment  signed correction of the balance; on the next invoice
//   refund      money of a card charge returned to the card through the payment provider, as charge-card.ts
//               charges: the pending row is written first (the charge's row locked only while the amount
//               still refundable is checked), the provider is called outside any transaction with a key of
//               its own, and the caller that settles the row posts the ledger debit in the same transaction.
//               A Stripe charge.refunded webhook posts under the same reference (record-card-refunds.ts),
//               so the money leaves the balance once, whoever records it first.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { BillingCorrection } from "@/lib/generated/prisma/client";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { CorrectionBody, CorrectionView, RefundableChargeView } from "./billing-corrections.types";
import { lockTenant, writeDocument } from "./issue-invoices";
import type { PaymentProvider, RefundResult } from "./payment-provider";
import { postLedgerEntry } from "./post-ledger-entry";
import { refundReference } from "./record-card-refunds";
import { teamAccountOfApp } from "./team-account";

function correctionReference(correctionId: string): string {
  return `correction:${correctionId}`;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}

async function toView(db: Db | Prisma.TransactionClient, correction: BillingCorrection, replayed: boolean): Promise<CorrectionView> {
  const creditNote = correction.creditNoteId ? await db.invoice.findUnique({ where: { id: correction.creditNoteId }, select: { number: true } }) : null;
  return {
    id: correction.id,
    kind: correction.kind,
    status: correction.status,
    amountMinor: correction.amountMinor,
    reason: correction.reason,
    actorEmail: correction.actorEmail,
    failureReason: correction.failureReason,
    creditNoteNumber: creditNote?.number ?? null,
    createdAt: correction.createdAt.toISOString(),
    replayed,
  };
}

function signedAmount(body: CorrectionBody): number {
  return body.kind === "refund" ? -body.amountMinor : body.amountMinor;
}

/** The first outcome of this key, when the request is the same; a different request under it is refused. */
async function replay(db: Db, provider: PaymentProvider, existing: BillingCorrection, input: { billingAccountId: string; body: CorrectionBody }): Promise<CorrectionView> {
  const same =
    existing.billingAccountId === input.billingAccountId &&
    existing.kind === input.body.kind &&
    existing.amountMinor === signedAmount(input.body) &&
    existing.reason === input.body.reason;
  if (!same) throw new DomainError("conflict", "This Idempotency-Key was used for another correction: use a new key for a new correction");
  if (existing.status === "pending") return completeRefund(db, provider, existing);
  return toView(db, existing, true);
}

const LEDGER_LABEL = { credit: "Credit", adjustment: "Adjustment", refund: "Refund" } as const;

async function creditOrAdjust(db: Db, input: { actor: Actor; account: { id: string; appId: string; tenantId: string }; idempotencyKey: string; body: Exclude<CorrectionBody, { kind: "refund" }> }) {
  const { body, account } = input;
  return db.$transaction(async (tx) => {
    const invoice = body.kind === "credit" && body.invoiceId ? await creditableInvoice(tx, { tenantId: account.tenantId, invoiceId: body.invoiceId, amountMinor: body.amountMinor }) : null;
    const correction = await tx.billingCorrection.create({
      data: {
        idempotencyKey: input.idempotencyKey,
        kind: body.kind,
        status: "succeeded",
        billingAccountId: account.id,
        amountMinor: body.amountMinor,
        reason: body.reason,
        actorId: input.actor.id,
        actorEmail: input.actor.email ?? null,
        invoiceId: invoice?.id ?? null,
        settledAt: new Date(),
      },
    });
    const reference = correctionReference(correction.id);
    const entry = await postLedgerEntry(tx, {
      billingAccountId: account.id,
      appId: account.appId,
      kind: body.kind === "credit" ? "credit" : "adjustment",
      amountMinor: body.amountMinor,
      description: `${LEDGER_LABEL[body.kind]}: ${body.reason}`,
      reference,
    });
    const creditNote = invoice
      ? await writeDocument(tx, {
          tenantId: account.tenantId,
          series: "credit_note",
          period: { start: invoice.periodStart, end: invoice.periodEnd },
          claim: { id: entry.id },
          now: new Date(),
          correctsInvoiceId: invoice.id,
        })
      : null;
    const settled = creditNote ? await tx.billingCorrection.update({ where: { id: correction.id }, data: { creditNoteId: creditNote.id } }) : correction;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `billing.${body.kind}`,
      targetType: "billing_account",
      targetId: account.appId,
      after: { amountMinor: body.amountMinor, reason: body.reason, balanceAfterMinor: entry.balanceAfterMinor, creditNote: creditNote?.number ?? null },
    });
    await recordRelayChange(tx, { tenantId: account.tenantId });
    return toView(tx, settled, false);
  });
}

/**
 * An issued invoice of the team that can take this credit note: not void, and its credit notes never
 * exceeding its total. Locks the team (its documents are numbered one at a time).
 */
async function creditableInvoice(tx: Prisma.TransactionClient, input: { tenantId: string; invoiceId: string; amountMinor: number }) {
  await lockTenant(tx, input.tenantId);
  const invoice = await tx.invoice.findFirst({ where: { id: input.invoiceId, tenantId: input.tenantId, kind: "invoice" } });
  if (!invoice) throw new DomainError("not_found", "No issued invoice of this team has that id", { field: "invoiceId" });
  if (invoice.status === "void") throw new DomainError("unprocessable", `Invoice ${invoice.number} is void: credit the next invoice instead`, { field: "invoiceId" });
  const credited = await tx.invoice.aggregate({ where: { correctsInvoiceId: invoice.id }, _sum: { totalMinor: true } });
  const remaining = invoice.totalMinor + (credited._sum.totalMinor ?? 0);
  if (input.amountMinor > remaining) {
    throw new DomainError("unprocessable", `Invoice ${invoice.number} has $${(Math.max(remaining, 0) / 100).toFixed(2)} left to credit`, { field: "amountMinor" });
  }
  return invoice;
}

/** Writes the pending refund after checking, with the charge's row locked, what is left to refund. */
async function writePendingRefund(db: Db, input: { actor: Actor; account: { id: string }; idempotencyKey: string; body: Extract<CorrectionBody, { kind: "refund" }> }) {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "PaymentAttempt" WHERE id = ${input.body.paymentAttemptId} FOR UPDATE`;
    const charge = await tx.paymentAttempt.findFirst({ where: { id: input.body.paymentAttemptId, billingAccountId: input.account.id, status: "succeeded" } });
    if (!charge?.providerReference) throw new DomainError("not_found", "No succeeded card charge of this app has that id", { field: "paymentAttemptId" });
    const refunded = await tx.billingCorrection.aggregate({ where: { paymentAttemptId: charge.id, kind: "refund", status: { in: ["pending", "succeeded"] } }, _sum: { amountMinor: true } });
    const left = charge.amountMinor + (refunded._sum.amountMinor ?? 0);
    if (input.body.amountMinor > left) throw new DomainError("unprocessable", `$${(left / 100).toFixed(2)} of this charge is left to refund`, { field: "amountMinor" });
    return tx.billingCorrection.create({
      data: {
        idempotencyKey: input.idempotencyKey,
        kind: "refund",
        status: "pending",
        billingAccountId: input.account.id,
        amountMinor: -input.body.amountMinor,
        reason: input.body.reason,
        actorId: input.actor.id,
        actorEmail: input.actor.email ?? null,
        paymentAttemptId: charge.id,
      },
    });
  });
}

/** Asks the provider (outside any transaction) and records its answer; only the caller that settles the row moves money. */
export async function completeRefund(db: Db, provider: PaymentProvider, pending: BillingCorrection): Promise<CorrectionView> {
  const charge = await db.paymentAttempt.findUniqueOrThrow({ where: { id: pending.paymentAttemptId ?? "" }, select: { providerReference: true, paymentMethodRef: true } });
  const result: RefundResult = await provider.refund({ chargeId: charge.providerReference ?? "", amountMinor: -pending.amountMinor, idempotencyKey: correctionReference(pending.idempotencyKey) });
  const settled = await db.$transaction(async (tx) => {
    const flipped = await tx.billingCorrection.updateMany({
      where: { id: pending.id, status: "pending" },
      data: result.status === "refunded" ? { status: "succeeded", providerReference: result.refundId, settledAt: new Date() } : { status: "failed", failureReason: result.message, settledAt: new Date() },
    });
    const row = await tx.billingCorrection.findUniqueOrThrow({ where: { id: pending.id } });
    if (flipped.count === 0) return { row, settledNow: false, tenantId: null };
    const account = await tx.billingAccount.findUniqueOrThrow({ where: { id: row.billingAccountId }, select: { tenantId: true } });
    if (result.status === "refunded") {
      const reference = refundReference(result.refundId);
      // The provider's webhook may have recorded this refund already (record-card-refunds.ts).
      const recorded = await tx.ledgerEntry.findUnique({ where: { billingAccountId_reference: { billingAccountId: row.billingAccountId, reference } }, select: { id: true } });
      if (!recorded) {
        await postLedgerEntry(tx, {
          billingAccountId: row.billingAccountId,
          kind: "refund",
          amountMinor: row.amountMinor,
          description: `Refund to the card ending ${charge.paymentMethodRef?.slice(-4) ?? ""}: ${row.reason}`,
          reference,
        });
        await recordRelayChange(tx, { tenantId: account.tenantId });
      }
    }
    await writeAuditLog(tx, {
      actor: { id: row.actorId, email: row.actorEmail },
      action: result.status === "refunded" ? "billing.refund" : "billing.refund_failed",
      targetType: "tenant",
      targetId: account.tenantId,
      after: { amountMinor: row.amountMinor, reason: row.reason, paymentAttemptId: row.paymentAttemptId, ...(result.status === "refunded" ? { refundId: result.refundId } : { failure: result.message }) },
    });
    return { row, settledNow: true, tenantId: account.tenantId };
  });
  if (settled.tenantId && result.status === "refunded") notifyRelaysOfChange({ kind: "billing" });
  return toView(db, settled.row, !settled.settledNow);
}

export async function correctBalance(db: Db, provider: PaymentProvider, input: { actor: Actor; appId: string; idempotencyKey: string; body: CorrectionBody }): Promise<CorrectionView> {
  const account = await teamAccountOfApp(db, input.appId);
  const target = { id: account.id, appId: input.appId, tenantId: account.tenantId };
  const existing = await db.billingCorrection.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
  if (existing) return replay(db, provider, existing, { billingAccountId: account.id, body: input.body });
  try {
    if (input.body.kind === "refund") {
      const pending = await writePendingRefund(db, { actor: input.actor, account: target, idempotencyKey: input.idempotencyKey, body: input.body });
      return await completeRefund(db, provider, pending).catch((error: unknown) => {
        if (error instanceof DomainError) throw error;
        // Left pending: the same request again, or the settle job, asks the provider with the same key.
        throw new DomainError("unavailable", "The payment provider did not answer: the refund is pending and will be retried");
      });
    }
    const view = await creditOrAdjust(db, { actor: input.actor, account: target, idempotencyKey: input.idempotencyKey, body: input.body });
    notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
    return view;
  } catch (error) {
    // The same key sent twice at once: the other request wrote the row first.
    if (!isUniqueViolation(error)) throw error;
    const first = await db.billingCorrection.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
    return replay(db, provider, first, { billingAccountId: account.id, body: input.body });
  }
}

/** Refunds a process left pending (it stopped before recording the provider's answer); run by the settle job. */
export async function settlePendingRefunds(db: Db, provider: PaymentProvider, input: { now?: Date; olderThanMs?: number } = {}): Promise<number> {
  const now = input.now ?? new Date();
  const pending = await db.billingCorrection.findMany({
    where: { status: "pending", createdAt: { lte: new Date(now.getTime() - (input.olderThanMs ?? 60_000)) } },
    orderBy: { createdAt: "asc" },
    take: 100,
  });
  let settled = 0;
  for (const correction of pending) {
    const view = await completeRefund(db, provider, correction).catch((error: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "settling a pending refund failed", correctionId: correction.id, error: error instanceof Error ? error.message : String(error) }));
      return null;
    });
    if (view && !view.replayed) settled++;
  }
  return settled;
}

/** The team's corrections (made from any of its apps), newest first, the card charges that can still be refunded, and the team's invoices a credit note can correct. */
export async function listCorrections(
  db: Db,
  input: { appId: string },
): Promise<{ corrections: CorrectionView[]; refundableCharges: RefundableChargeView[]; creditableInvoices: { id: string; number: string; totalMinor: number }[] }> {
  const account = await teamAccountOfApp(db, input.appId);
  const [corrections, charges, invoices] = await Promise.all([
    db.billingCorrection.findMany({ where: { billingAccountId: account.id }, orderBy: { createdAt: "desc" }, take: 100 }),
    db.paymentAttempt.findMany({ where: { billingAccountId: account.id, status: "succeeded", providerReference: { not: null } }, orderBy: { createdAt: "desc" }, take: 50 }),
    db.invoice.findMany({ where: { tenantId: account.tenantId, kind: "invoice", status: { not: "void" } }, orderBy: { issuedAt: "desc" }, take: 24, select: { id: true, number: true, totalMinor: true } }),
  ]);
  const refunded = new Map<string, number>();
  for (const correction of corrections) {
    if (correction.kind === "refund" && correction.status !== "failed" && correction.paymentAttemptId) {
      refunded.set(correction.paymentAttemptId, (refunded.get(correction.paymentAttemptId) ?? 0) - correction.amountMinor);
    }
  }
  return {
    corrections: await Promise.all(corrections.map((correction) => toView(db, correction, false))),
    refundableCharges: charges
      .map((charge) => ({ paymentAttemptId: charge.id, kind: charge.kind, amountMinor: charge.amountMinor, refundedMinor: refunded.get(charge.id) ?? 0, createdAt: charge.createdAt.toISOString() }))
      .filter((charge) => charge.refundedMinor < charge.amountMinor),
    creditableInvoices: invoices,
  };
}
