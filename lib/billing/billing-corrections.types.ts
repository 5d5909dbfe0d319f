import { z } from "zod";
import { text } from "@/lib/validation/text";

const reason = text().trim().min(3, "Give the reason: the customer sees it in the ledger").max(500, "Reason: at most 500 characters");
const positiveAmount = z.number().int("Enter the amount in whole cents").min(1, "Enter an amount above zero").max(10_000_000, "At most $100,000.00 at once");

export const correctionSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("credit"),
      amountMinor: positiveAmount,
      reason,
      /** An issued invoice of the team: the credit is issued at once as a credit note against it. */
      invoiceId: text().trim().min(1).max(100).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("adjustment"),
      /** Signed: positive adds to the balance, negative takes from it. */
      amountMinor: z.number().int("Enter the amount in whole cents").min(-10_000_000).max(10_000_000).refine((amount) => amount !== 0, "An adjustment of zero changes nothing"),
      reason,
    })
    .strict(),
  z
    .object({
      kind: z.literal("refund"),
      amountMinor: positiveAmount,
      reason,
      /** The card charge (payment attempt) the money goes back to. */
      paymentAttemptId: text().trim().min(1).max(100),
    })
    .strict(),
]);
export type CorrectionBody = z.infer<typeof correctionSchema>;

export interface CorrectionView {
  id: string;
  kind: "credit" | "adjustment" | "refund";
  status: "pending" | "succeeded" | "failed";
  /** As it moved (or will move) the balance: credits positive, refunds negative. */
  amountMinor: number;
  reason: string;
  actorEmail: string | null;
  failureReason: string | null;
  creditNoteNumber: string | null;
  createdAt: string;
  /** This answer repeats the first outcome of the same Idempotency-Key. */
  replayed: boolean;
}

export interface RefundableChargeView {
  paymentAttemptId: string;
  kind: "top_up" | "auto_recharge" | "plan_fee";
  amountMinor: number;
  refundedMinor: number;
  createdAt: string;
}
