import { z } from "zod";
import { text } from "@/lib/validation/text";

const cardNumber = text()
  .trim()
  .min(12, "Enter a card number")
  .max(30)
  .regex(/^[0-9 -]+$/, "A card number has digits only");

export const topUpSchema = z
  .object({
    amountMinor: z.number().int("Whole minor units (cents)").min(100, "At least 100 (1.00)").max(1_000_000, "At most 1000000 (10,000.00)"),
    cardNumber,
  })
  .strict();
export type TopUpBody = z.infer<typeof topUpSchema>;

export const autoRechargeSchema = z
  .object({
    enabled: z.boolean(),
    thresholdMinor: z.number().int().min(0).max(1_000_000),
    amountMinor: z.number().int().min(100, "At least 100 (1.00)").max(1_000_000),
    cardNumber: cardNumber.optional(),
  })
  .strict();
export type AutoRechargeBody = z.infer<typeof autoRechargeSchema>;

export interface LedgerEntryView {
  id: string;
  kind: "top_up" | "overage_debit" | "auto_recharge" | "refund" | "adjustment";
  amountMinor: number;
  balanceAfterMinor: number;
  description: string;
  reference: string | null;
  createdAt: string;
}

export interface PaymentAttemptView {
  id: string;
  kind: "top_up" | "auto_recharge";
  status: "succeeded" | "declined";
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
