// What a tenant may read about a webhook delivery that did not succeed: a short, closed vocabulary.
// The real cause (an error's text, an internal host and port) stays in the operator's log: a tenant
// who could read it could map the operator's network through its own endpoint URLs.

export const WebhookFailure = {
  /** The host is, or resolves to, an address the policy forbids (lib/net/address-policy.ts). */
  addressNotAllowed: "address not allowed",
  dnsLookupFailed: "DNS lookup failed",
  couldNotConnect: "could not connect",
  tlsHandshakeFailed: "TLS handshake failed",
  noResponse: "connection closed without a response",
} as const;

/** Why a webhook delivery is skipped rather than tried. */
export const ENDPOINT_GONE_SKIP_REASON = "The endpoint was disabled or removed";

export function timedOutFailure(timeoutMs: number): string {
  return `timed out after ${timeoutMs} ms`;
}

export function httpStatusFailure(status: number): string {
  return `HTTP ${status}`;
}

/** How far a request got before its connection failed, which is all the tenant learns of the failure. */
export type ConnectionStage = "connecting" | "tls-handshake" | "awaiting-response";

export const failureAtStage: Record<ConnectionStage, string> = {
  connecting: WebhookFailure.couldNotConnect,
  "tls-handshake": WebhookFailure.tlsHandshakeFailed,
  "awaiting-response": WebhookFailure.noResponse,
};

const PUBLIC_TEXTS = new Set<string>([...Object.values(WebhookFailure), ENDPOINT_GONE_SKIP_REASON]);

/**
 * A stored delivery error as the delivery log shows it: texts of the vocabulary as they are, anything
 * else (written by an older version, which stored raw error messages) as "could not connect".
 */
export function publicDeliveryError(stored: string | null): string | null {
  if (stored === null || PUBLIC_TEXTS.has(stored) || /^HTTP \d{3}$/.test(stored) || /^timed out after \d+ ms$/.test(stored)) return stored;
  return WebhookFailure.couldNotConnect;
}
