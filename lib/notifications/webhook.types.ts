import { z } from "zod";
import { text } from "@/lib/validation/text";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./app-event.types";

export const MAX_WEBHOOK_ENDPOINTS_PER_APP = 10;

/**
 * A customer's webhook URL. Only http(s) (no file:, gopher:, data: …), no credentials in the URL (it
 * is shown in the dashboard and the delivery log). Where it may point is the address policy's call
 * (createWebhookEndpoint, and each delivery): see docs/security.md.
 */
export const webhookUrlSchema = text()
  .trim()
  .min(1, "Enter the endpoint's URL")
  .max(2048, "At most 2048 characters")
  .refine((value) => URL.canParse(value), "Enter a full URL, like https://example.com/hooks/tollgate")
  .refine((value) => !URL.canParse(value) || ["http:", "https:"].includes(new URL(value).protocol), "Only http:// and https:// URLs are accepted")
  .refine((value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""), "Put no user name or password in the URL");

/** The event types an endpoint receives (kept once each, in the list's order); empty or absent: every type. */
const eventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `Choose from ${WEBHOOK_EVENT_TYPES.join(", ")}` }))
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((types) => WEBHOOK_EVENT_TYPES.filter((type) => types.includes(type)));

export const createWebhookEndpointSchema = z
  .object({
    url: webhookUrlSchema,
    description: text().trim().max(200, "At most 200 characters").optional(),
    eventTypes: eventTypesSchema.optional(),
  })
  .strict();
export type CreateWebhookEndpointBody = z.infer<typeof createWebhookEndpointSchema>;

export const updateWebhookEndpointSchema = z.object({ eventTypes: eventTypesSchema }).strict();
export type UpdateWebhookEndpointBody = z.infer<typeof updateWebhookEndpointSchema>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  secretPrefix: string;
  enabled: boolean;
  /** Empty: every event type. */
  eventTypes: WebhookEventType[];
  createdAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  eventTitle: string;
  status: "pending" | "succeeded" | "failed" | "skipped";
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  attemptLog: { attemptNumber: number; responseStatus: number | null; error: string | null; durationMs: number; at: string }[];
}
