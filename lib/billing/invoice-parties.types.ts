// Who an invoice is from (the operator, set by platform admins) and to (the team, set by its owners).
import { z } from "zod";
import { text } from "@/lib/validation/text";

export interface PartyDetails {
  name: string;
  address: string;
  taxId: string;
  email: string;
}

const line = (max: number, label: string) => text().trim().max(max, `${label}: at most ${max} characters`);

const partyFields = {
  name: line(200, "Name"),
  address: line(1000, "Address"),
  taxId: line(64, "Tax id"),
  email: z.union([z.literal(""), text().trim().max(254).email("Enter an email address, or leave it empty")]),
};

export const billingDetailsSchema = z.object(partyFields).strict();
export type BillingDetailsBody = z.infer<typeof billingDetailsSchema>;

export const operatorSettingsSchema = z
  .object({
    ...partyFields,
    name: line(200, "Name").min(1, "The operator's name is printed on every invoice: enter it"),
    paymentTermsDays: z.number().int().min(0, "Payment terms cannot be negative").max(365, "Payment terms: at most 365 days"),
  })
  .strict();
export type OperatorSettingsBody = z.infer<typeof operatorSettingsSchema>;

export interface OperatorSettingsView extends PartyDetails {
  paymentTermsDays: number;
}
