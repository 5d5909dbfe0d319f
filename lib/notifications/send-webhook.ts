// One webhook delivery attempt: the signed POST of an event to a customer's endpoint. Only the status
// matters; the customer's response body is never read or shown. The host is resolved once and checked
// against the address policy (lib/net), and the request connects to exactly the addresses checked, with
// the endpoint's own name in the Host header and TLS SNI: a name cannot resolve to a public address for
// the check and to an internal one for the connection.
import type { LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { decryptSecret } from "@/lib/keys/key-material";
import { hostOfUrl } from "@/lib/net/address-policy";
import { pinnedLookup, resolveAllowedAddresses, resolveWithSystemDns, TargetNotAllowedError } from "@/lib/net/target-policy";
import type { DeliveryConfig } from "./deliver-notification";
import { signWebhookPayload, WebhookHeader } from "./sign-webhook";
import { type ConnectionStage, failureAtStage, httpStatusFailure, timedOutFailure, WebhookFailure } from "./webhook-failure";

export type AttemptResult = { ok: true; responseStatus?: number; skipped?: string } | { ok: false; responseStatus?: number; error: string };

export type WebhookAttemptConfig = Pick<DeliveryConfig, "encryptionKey" | "webhookTimeoutMs" | "allowedWebhookTargets" | "resolveWebhookHost">;

export function webhookBody(event: { id: string; appId: string; type: string; severity: string; title: string; message: string; data: unknown; createdAt: Date }): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    appId: event.appId,
    createdAt: event.createdAt.toISOString(),
    severity: event.severity,
    title: event.title,
    message: event.message,
    data: event.data,
  });
}

/** Settles like `promise`, or rejects with the signal's reason once it aborts (a DNS lookup cannot be cancelled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A request that failed after DNS, with how far it got. */
class ConnectionFailure extends Error {
  constructor(
    readonly stage: ConnectionStage,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ConnectionFailure";
  }
}

/** POSTs `body` to `url` over a connection to one of `addresses`; resolves with the response status. */
function postTo(url: URL, addresses: LookupAddress[], headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  const secure = url.protocol === "https:";
  let stage: ConnectionStage = "connecting";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(addresses),
        // A fresh connection each time: a pooled one could have been opened to another address.
        agent: false,
        signal,
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        // Redirects are not followed and the body is never read (it is the customer's server talking).
        response.destroy();
      },
    );
    request.on("socket", (socket) => {
      socket.once("connect", () => (stage = secure ? "tls-handshake" : "awaiting-response"));
      if (secure) socket.once("secureConnect", () => (stage = "awaiting-response"));
    });
    request.on("error", (error) => reject(new ConnectionFailure(stage, error)));
    request.end(body);
  });
}

/** The one line a tenant reads about a failed attempt; the operator's log keeps the cause. */
function tenantFacingFailure(error: unknown, endpointId: string): string {
  if (error instanceof TargetNotAllowedError) return WebhookFailure.addressNotAllowed;
  console.warn(JSON.stringify({ level: "warn", msg: "webhook delivery failed", endpointId, error: error instanceof Error ? error.message : String(error) }));
  return error instanceof ConnectionFailure ? failureAtStage[error.stage] : WebhookFailure.dnsLookupFailed;
}

export async function attemptWebhook(
  config: WebhookAttemptConfig,
  endpoint: { id: string; url: string; secretCiphertext: string },
  event: Parameters<typeof webhookBody>[0],
): Promise<AttemptResult> {
  const body = webhookBody(event);
  const timestampUnix = Math.floor(Date.now() / 1000);
  const secret = decryptSecret(endpoint.secretCiphertext, config.encryptionKey);
  const signal = AbortSignal.timeout(config.webhookTimeoutMs);
  try {
    const url = new URL(endpoint.url);
    const addresses = await untilAborted(resolveAllowedAddresses(hostOfUrl(url), config.allowedWebhookTargets, config.resolveWebhookHost ?? resolveWithSystemDns), signal);
    const status = await postTo(
      url,
      addresses,
      {
        "content-type": "application/json",
        "user-agent": "Tollgate-Webhooks/1",
        [WebhookHeader.eventId]: event.id,
        [WebhookHeader.eventType]: event.type,
        [WebhookHeader.timestamp]: String(timestampUnix),
        [WebhookHeader.signature]: signWebhookPayload({ secret, timestampUnix, body }),
      },
      body,
      signal,
    );
    if (status >= 200 && status < 300) return { ok: true, responseStatus: status };
    return { ok: false, responseStatus: status, error: httpStatusFailure(status) };
  } catch (error) {
    if (signal.aborted) return { ok: false, error: timedOutFailure(config.webhookTimeoutMs) };
    return { ok: false, error: tenantFacingFailure(error, endpoint.id) };
  }
}
