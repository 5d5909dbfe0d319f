import { z } from "zod";
import { text } from "@/lib/validation/text";

const cardNumber = text()
  .trim()
  .min(1, "Enter a card number")
  .max(40, "That card number is too long: a card number has 12 to 19 digits")
  .regex(/^[0-9 -]+$/, "A card number has digits only")
  .refine((text) => text.replace(/\D/g, "").length >= 12, "That card number is too short: a card number has 12 to 19 digits")
  .refine((text) => text.replace(/\D/g, "").length <= 19, "That card number is too long: a card number has 12 to 19 digits");

export const topUpSchema = z
  .object({
    amountMinor: z.number().int("Enter the amount in whole cents").min(100, "Top up at least $1.00").max(1_000_000, "Top up at most $10,000.00"),
    /** Omitted: charge the card on file (the first card that succeeded). */
    cardNumber: cardNumber.optional(),
  })
  .strict();
export type TopUpBody = z.infer<typeof topUpSchema>;

export const autoRechargeSchema = z
  .object({
    enabled: z.boolean(),
    thresholdMinor: z.number().int().min(0, "The threshold cannot be negative").max(1_000_000, "Set a threshold of at most $10,000.00"),
    amountMinor: z.number().int().min(100, "Recharge at least $1.00").max(1_000_000, "Recharge at most $10,000.00"),
    cardNumber: cardNumber.optional(),
  })
  .strict();
export type AutoRechargeBody = z.infer<typeof autoRechargeSchema>;

export interface LedgerEntryView {
  id: string;
  kind: "top_up" | "overage_debit" | "auto_recharge" | "refund" | "adjustment" | "plan_fee" | "plan_credit" | "card_payment" | "credit";
  amountMinor: number;
  balanceAfterMinor: number;
  description: string;
  reference: string | null;
  /** The app the entry was made for; null for the team's own movements (top-ups, card payments). */
  appId: string | null;
  createdAt: string;
}

export interface PaymentAttemptView {
  id: string;
  kind: "top_up" | "auto_recharge" | "plan_fee";
  /** pending: the provider was asked and its answer is not recorded yet (settled within a minute or two). */
  status: "succeeded" | "declined" | "pending";
  amountMinor: number;
  failureReason: string | null;
  trigger: string;
  createdAt: string;
}

export interface AutoRechargeView {
  enabled: boolean;
  thresholdMinor: number;
  amountMinor: number;
}

const idempotencyKeySchema = text().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, "Idempotency-Key: printable ASCII without spaces");

/** The request's Idempotency-Key header (a retried request with the same key is answered, not repeated). */
export function idempotencyKeyOf(headers: Headers): string | undefined {
  const value = headers.get("idempotency-key");
  return value === null ? undefined : idempotencyKeySchema.parse(value);
}

export const documentFormatSchema = z.object({ format: z.enum(["json", "csv", "html", "pdf"]).default("json") });

export const ledgerQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  format: z.enum(["json", "csv"]).default("json"),
});

/** A download: the filename is built from ids we issued, never from customer text. */
export function attachment(body: string | Uint8Array<ArrayBuffer>, options: { contentType: string; filename: string }): Response {
  return new Response(body, {
    headers: { "content-type": options.contentType, "content-disposition": `attachment; filename="${options.filename}"`, "cache-control": "no-store" },
  });
}
