// One webhook delivery attempt: the signed POST of an event to a customer's endpoint. Only the status
// matters; the customer's response body is never read or shown.
import { decryptSecret } from "@/lib/keys/key-material";
import type { DeliveryConfig } from "./deliver-notifications";
import { signWebhookPayload, WebhookHeader } from "./sign-webhook";

export type AttemptResult = { ok: true; responseStatus?: number; skipped?: string } | { ok: false; responseStatus?: number; error: string };

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

export async function attemptWebhook(
  config: Pick<DeliveryConfig, "encryptionKey" | "webhookTimeoutMs">,
  endpoint: { url: string; secretCiphertext: string },
  event: Parameters<typeof webhookBody>[0],
): Promise<AttemptResult> {
  const body = webhookBody(event);
  const timestampUnix = Math.floor(Date.now() / 1000);
  const secret = decryptSecret(endpoint.secretCiphertext, config.encryptionKey);
  try {
    const response = await fetch(endpoint.url, {
      method: "POST",
      // Redirects are not followed: a customer's URL must not bounce our request to another host.
      redirect: "manual",
      signal: AbortSignal.timeout(config.webhookTimeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "Tollgate-Webhooks/1",
        [WebhookHeader.eventId]: event.id,
        [WebhookHeader.eventType]: event.type,
        [WebhookHeader.timestamp]: String(timestampUnix),
        [WebhookHeader.signature]: signWebhookPayload({ secret, timestampUnix, body }),
      },
      body,
    });
    // Only the status matters; the body is never read or shown (it is the customer's server talking).
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, responseStatus: response.status };
    return { ok: false, responseStatus: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}
