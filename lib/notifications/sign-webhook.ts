// Webhook signatures (documented in docs/notifications.md): the signed content is
// "<timestamp>.<raw body>", HMAC-SHA256 with the endpoint's signing secret, sent hex-encoded as
// `Tollgate-Signature: v1=<hex>` with `Tollgate-Timestamp: <unix seconds>`. Binding the timestamp
// lets receivers refuse replays older than a few minutes.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const WebhookHeader = {
  signature: "tollgate-signature",
  timestamp: "tollgate-timestamp",
  eventId: "tollgate-event-id",
  eventType: "tollgate-event-type",
} as const;

export const WEBHOOK_SECRET_PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function signWebhookPayload(input: { secret: string; timestampUnix: number; body: string }): string {
  return `v1=${createHmac("sha256", input.secret).update(`${input.timestampUnix}.${input.body}`).digest("hex")}`;
}

/** The receiver's check, as documented: right signature and a timestamp within the tolerance. */
export function verifyWebhookSignature(input: {
  secret: string;
  signatureHeader: string | null;
  timestampHeader: string | null;
  body: string;
  nowUnix?: number;
  toleranceSec?: number;
}): boolean {
  const timestampUnix = Number(input.timestampHeader);
  if (!input.signatureHeader || !Number.isInteger(timestampUnix)) return false;
  const nowUnix = input.nowUnix ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowUnix - timestampUnix) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhookPayload({ secret: input.secret, timestampUnix, body: input.body }));
  const presented = Buffer.from(input.signatureHeader);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}
