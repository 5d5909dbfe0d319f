// An app's webhook endpoints: add (the signing secret is shown once), choose their event types, list,
// remove, send a test event, the delivery log, and resending a delivery.
import { randomBytes, randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { encryptSecret } from "@/lib/keys/key-material";
import type { AllowedTargets } from "@/lib/net/allowed-targets";
import { refusalOfUrlHost } from "@/lib/net/target-policy";
import { emitAppEvent } from "./emit-app-event";
import { newWebhookSecret } from "./sign-webhook";
import { spendTestEventAllowance } from "./test-event-limit";
import { publicDeliveryError } from "./webhook-failure";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./app-event.types";
import { countWaitingDeliveries, queueDelivery } from "./queue-delivery";
import {
  type CreateWebhookEndpointBody,
  MAX_WEBHOOK_ENDPOINTS_PER_APP,
  type UpdateWebhookEndpointBody,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from "./webhook.types";

function toEndpointView(endpoint: { id: string; url: string; description: string | null; secretPrefix: string; enabled: boolean; eventTypes: string[]; createdAt: Date }): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    secretPrefix: endpoint.secretPrefix,
    enabled: endpoint.enabled,
    eventTypes: endpoint.eventTypes.filter((type): type is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)),
    createdAt: endpoint.createdAt.toISOString(),
  };
}

export async function listWebhookEndpoints(db: Db, input: { appId: string }): Promise<WebhookEndpointView[]> {
  const endpoints = await db.webhookEndpoint.findMany({ where: { appId: input.appId }, orderBy: { createdAt: "asc" } });
  return endpoints.map(toEndpointView);
}

export async function createWebhookEndpoint(
  db: Db,
  input: { actor: Actor; appId: string; endpoint: CreateWebhookEndpointBody; encryptionKey: string; allowedTargets: AllowedTargets },
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  // A host name is checked when it is resolved, at each delivery; a literal address or localhost needs no wait.
  const refusal = refusalOfUrlHost(new URL(input.endpoint.url), input.allowedTargets);
  if (refusal) throw new DomainError("unprocessable", refusal, { field: "url" });
  const secret = newWebhookSecret();
  const created = await db.$transaction(async (tx) => {
    // Row lock on the app: two concurrent adds cannot both pass the count.
    await tx.$queryRaw`SELECT id FROM "App" WHERE id = ${input.appId} FOR UPDATE`;
    const existing = await tx.webhookEndpoint.count({ where: { appId: input.appId } });
    if (existing >= MAX_WEBHOOK_ENDPOINTS_PER_APP) {
      throw new DomainError("limit_exceeded", `An app has at most ${MAX_WEBHOOK_ENDPOINTS_PER_APP} webhook endpoints`, { field: "url" });
    }
    const endpoint = await tx.webhookEndpoint.create({
      data: {
        id: `whk_${randomBytes(12).toString("base64url")}`,
        appId: input.appId,
        url: input.endpoint.url,
        description: input.endpoint.description || null,
        eventTypes: input.endpoint.eventTypes ?? [],
        secretCiphertext: encryptSecret(secret, input.encryptionKey),
        secretPrefix: secret.slice(0, 10),
      },
    });
    await writeAuditLog(tx, { actor: input.actor, action: "webhook.create", targetType: "app", targetId: input.appId, after: { id: endpoint.id, url: endpoint.url } });
    return endpoint;
  });
  return { endpoint: toEndpointView(created), secret };
}

export async function updateWebhookEndpoint(db: Db, input: { actor: Actor; appId: string; endpointId: string; changes: UpdateWebhookEndpointBody }): Promise<WebhookEndpointView> {
  return db.$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id: input.endpointId, appId: input.appId } });
    if (!endpoint) throw notFound("Webhook endpoint");
    const updated = await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { eventTypes: input.changes.eventTypes } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "webhook.update",
      targetType: "app",
      targetId: input.appId,
      before: { id: endpoint.id, eventTypes: endpoint.eventTypes },
      after: { id: endpoint.id, eventTypes: updated.eventTypes },
    });
    return toEndpointView(updated);
  });
}

/**
 * Sends a settled delivery's event to its endpoint again, as a new delivery (the old one and its log stay).
 * Counted with test events against the endpoint's allowance (test-event-limit.ts).
 */
export async function resendWebhookDelivery(db: Db, input: { appId: string; endpointId: string; deliveryId: string }): Promise<{ deliveryId: string }> {
  const original = await db.notificationDelivery.findFirst({
    where: { id: input.deliveryId, endpointId: input.endpointId, endpoint: { appId: input.appId } },
    select: { eventId: true, tenantId: true, status: true, endpointId: true },
  });
  if (!original?.endpointId) throw notFound("Delivery");
  if (original.status === "pending") throw new DomainError("conflict", "This delivery is still being tried: wait for its outcome before resending it");
  await spendTestEventAllowance(original.endpointId);
  const endpointId = original.endpointId;
  return db.$transaction(async (tx) => {
    const now = new Date();
    const waitingAhead = await countWaitingDeliveries(tx, original.tenantId);
    const delivery = await tx.notificationDelivery.create({
      data: { eventId: original.eventId, tenantId: original.tenantId, channel: "webhook", endpointId, nextAttemptAt: now },
      select: { id: true },
    });
    await queueDelivery(tx, { id: delivery.id, tenantId: original.tenantId, runAt: now, placeInLine: waitingAhead });
    return { deliveryId: delivery.id };
  });
}

export async function deleteWebhookEndpoint(db: Db, input: { actor: Actor; appId: string; endpointId: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id: input.endpointId, appId: input.appId } });
    if (!endpoint) throw notFound("Webhook endpoint");
    await tx.webhookEndpoint.delete({ where: { id: endpoint.id } });
    await writeAuditLog(tx, { actor: input.actor, action: "webhook.delete", targetType: "app", targetId: input.appId, before: { id: endpoint.id, url: endpoint.url } });
  });
}

/**
 * Queues a `webhook.test` event for this endpoint only; the worker delivers it like any other. Limited
 * per endpoint (test-event-limit.ts): rate_limited once the endpoint's allowance is spent.
 */
export async function sendTestWebhookEvent(db: Db, input: { appId: string; endpointId: string }): Promise<{ eventId: string }> {
  const endpoint = await db.webhookEndpoint.findFirst({ where: { id: input.endpointId, appId: input.appId }, select: { id: true } });
  if (!endpoint) throw notFound("Webhook endpoint");
  await spendTestEventAllowance(endpoint.id);
  const result = await emitAppEvent(db, { appId: input.appId, event: { type: "webhook.test", endpointId: endpoint.id, requestId: randomUUID() } });
  if (!result.eventId) throw notFound("App");
  return { eventId: result.eventId };
}

export async function listWebhookDeliveries(db: Db, input: { appId: string; endpointId: string; limit?: number }): Promise<WebhookDeliveryView[]> {
  const endpoint = await db.webhookEndpoint.findFirst({ where: { id: input.endpointId, appId: input.appId }, select: { id: true } });
  if (!endpoint) throw notFound("Webhook endpoint");
  const deliveries = await db.notificationDelivery.findMany({
    where: { endpointId: endpoint.id },
    orderBy: { createdAt: "desc" },
    take: input.limit ?? 50,
    include: { event: { select: { type: true, title: true } }, attemptLog: { orderBy: { attemptNumber: "asc" } } },
  });
  return deliveries.map((delivery) => ({
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.event.type,
    eventTitle: delivery.event.title,
    status: delivery.status,
    attempts: delivery.attempts,
    lastResponseStatus: delivery.lastResponseStatus,
    lastError: publicDeliveryError(delivery.lastError),
    nextAttemptAt: delivery.status === "pending" ? delivery.nextAttemptAt.toISOString() : null,
    createdAt: delivery.createdAt.toISOString(),
    attemptLog: delivery.attemptLog.map((attempt) => ({
      attemptNumber: attempt.attemptNumber,
      responseStatus: attempt.responseStatus,
      error: publicDeliveryError(attempt.error),
      durationMs: attempt.durationMs,
      at: attempt.at.toISOString(),
    })),
  }));
}
