// The one way to announce something to an app's members:
//
//   await emitAppEvent(tx, { appId, event: { type: "plan_fee.failed", planName, amountMinor, reason, periodStartUnix, graceEndsAt } });
//
// Pass the transaction that makes the change (the event then exists exactly when the change does) or
// the plain client. The event row is inserted with ON CONFLICT DO NOTHING on its dedupe key
// (app-event.types.ts), so calling it again for the same occasion — a retried request, a second
// usage flush, two flushes at once — is a no-op returning `emitted: false`. Delivery is never done
// here: the same transaction writes outbox rows (one email, one per enabled webhook endpoint) and the
// job that tries each (queue-delivery.ts), so callers on the usage flush path pay for a few inserts only.
import { randomBytes } from "node:crypto";
import type { Db, Prisma } from "@/lib/db";
import { type AppEventInput, dedupeKeyOf } from "./app-event.types";
import { describeAppEvent } from "./describe-app-event";
import { countWaitingDeliveries, queueDelivery } from "./queue-delivery";

export interface EmitResult {
  emitted: boolean;
  eventId: string | null;
}

type Client = Db | Prisma.TransactionClient;

function isRootClient(client: Client): client is Db {
  return "$transaction" in client;
}

export function newEventId(): string {
  return `evt_${randomBytes(12).toString("base64url")}`;
}

async function insertEvent(tx: Prisma.TransactionClient, input: { appId: string; event: AppEventInput; now: Date }): Promise<EmitResult> {
  const app = await tx.app.findUnique({ where: { id: input.appId }, select: { name: true, tenantId: true } });
  if (!app) return { emitted: false, eventId: null };
  const id = newEventId();
  const description = describeAppEvent(input.event, app.name);
  const { type, ...data } = input.event;
  const inserted = await tx.appEvent.createMany({
    data: [
      {
        id,
        appId: input.appId,
        type,
        severity: description.severity,
        title: description.title,
        message: description.message,
        data: data as Prisma.InputJsonObject,
        dedupeKey: dedupeKeyOf(input.appId, input.event),
        createdAt: input.now,
      },
    ],
    skipDuplicates: true,
  });
  if (inserted.count === 0) return { emitted: false, eventId: null };
  const endpoints = await tx.webhookEndpoint.findMany({
    where:
      input.event.type === "webhook.test"
        ? { id: input.event.endpointId, appId: input.appId }
        : { appId: input.appId, enabled: true, OR: [{ eventTypes: { isEmpty: true } }, { eventTypes: { has: input.event.type } }] },
    select: { id: true },
  });
  const waitingAhead = await countWaitingDeliveries(tx, app.tenantId);
  const deliveries = await tx.notificationDelivery.createManyAndReturn({
    data: [
      ...(input.event.type === "webhook.test" ? [] : [{ eventId: id, tenantId: app.tenantId, channel: "email" as const, nextAttemptAt: input.now }]),
      ...endpoints.map((endpoint) => ({ eventId: id, tenantId: app.tenantId, channel: "webhook" as const, endpointId: endpoint.id, nextAttemptAt: input.now })),
    ],
    select: { id: true },
  });
  for (const [index, delivery] of deliveries.entries()) {
    await queueDelivery(tx, { id: delivery.id, tenantId: app.tenantId, runAt: input.now, placeInLine: waitingAhead + index });
  }
  return { emitted: true, eventId: id };
}

export async function emitAppEvent(client: Client, input: { appId: string; event: AppEventInput; now?: Date }): Promise<EmitResult> {
  const args = { appId: input.appId, event: input.event, now: input.now ?? new Date() };
  if (isRootClient(client)) return client.$transaction((tx) => insertEvent(tx, args));
  return insertEvent(client, args);
}
