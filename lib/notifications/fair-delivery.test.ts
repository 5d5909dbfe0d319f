// The delivery worker is fair between tenants: one tenant's backlog against an endpoint that never
// answers holds at most its in-flight share of the slots, another tenant's event goes out meanwhile,
// and two workers sharing the outbox never send one delivery twice. Real database, real listeners.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db";
import { parseAllowedTargets } from "@/lib/net/allowed-targets";
import { createTestApp, createUser, seedPlans, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { startSilentEndpoint } from "@/tests/helpers/silent-endpoint";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import { type DeliveryConfig, MAX_DELIVERIES_IN_FLIGHT_PER_TENANT, startDeliveryWorker } from "./deliver-notifications";
import { emitAppEvent, newEventId } from "./emit-app-event";
import { WebhookHeader } from "./sign-webhook";
import { createWebhookEndpoint } from "./webhook-endpoints";

let database: TestDatabase;
let sink: WebhookSink;
/** The listeners are on 127.0.0.1, which only the operator's allowlist opens. */
const allowedTargets = parseAllowedTargets("127.0.0.1");
/** The production default of NOTIFICATION_WORKER_INTERVAL_MS. */
const WORKER_INTERVAL_MS = 2_000;

const config: DeliveryConfig = {
  emailFrom: "Tollgate <notifications@tollgate.test>",
  dashboardUrl: "http://dashboard.test",
  encryptionKey: TEST_ENCRYPTION_KEY,
  // A failed try comes back after a minute: within a test each delivery is tried once.
  retryBaseMs: 60_000,
  maxAttempts: 3,
  webhookTimeoutMs: 2_500,
  allowedWebhookTargets: allowedTargets,
};

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
  sink = await startWebhookSink();
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});

interface Target {
  tenantId: string;
  appId: string;
  endpointId: string;
}

/** A new tenant with one app and one webhook endpoint at `url`. */
async function tenantWithEndpoint(url: string): Promise<Target> {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
  const { endpoint } = await createWebhookEndpoint(database.db, { actor: { id: null }, appId: app.id, endpoint: { url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets });
  return { tenantId: user.tenantId, appId: app.id, endpointId: endpoint.id };
}

/** Queues one test event the way the dashboard does. */
async function queueTestEvent(target: Target): Promise<string> {
  const { eventId } = await emitAppEvent(database.db, { appId: target.appId, event: { type: "webhook.test", endpointId: target.endpointId, requestId: randomUUID() } });
  if (!eventId) throw new Error("not emitted");
  return eventId;
}

/** Puts a backlog of `count` due test events for the target's endpoint into the outbox at once (emitting them one by one takes long on a busy machine). */
async function queueBacklog(target: Target, count: number): Promise<string[]> {
  const events = Array.from({ length: count }, () => {
    const requestId = randomUUID();
    return {
      id: newEventId(),
      appId: target.appId,
      type: "webhook.test",
      severity: "info" as const,
      title: "Test event",
      message: "A test event sent from the dashboard.",
      data: { endpointId: target.endpointId, requestId },
      dedupeKey: `${target.appId}:webhook.test:${requestId}`,
    };
  });
  await database.db.appEvent.createMany({ data: events });
  await database.db.notificationDelivery.createMany({
    data: events.map((event) => ({ eventId: event.id, tenantId: target.tenantId, channel: "webhook" as const, endpointId: target.endpointId })),
  });
  return events.map((event) => event.id);
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function receivedAtMs(eventId: string): number | undefined {
  return sink.requests.find((request) => request.headers[WebhookHeader.eventId] === eventId)?.receivedAtMs;
}

/** Removes a test's leftover backlog so the next test's worker does not deliver it. */
async function forget(targets: Target[]): Promise<void> {
  await database.db.appEvent.deleteMany({ where: { appId: { in: targets.map((target) => target.appId) } } });
}

describe("fair delivery", () => {
  it("delivers another tenant's event within 5 s while 1,000 of one tenant's events wait on an endpoint that never answers", async () => {
    const dead = await startSilentEndpoint();
    const noisy = await tenantWithEndpoint(dead.url);
    const quiet = await tenantWithEndpoint(sink.url);
    await queueBacklog(noisy, 1_000);
    const worker = startDeliveryWorker(database.db, config, { intervalMs: WORKER_INTERVAL_MS });
    try {
      await waitFor("the noisy tenant's deliveries to hang", () => dead.open >= MAX_DELIVERIES_IN_FLIGHT_PER_TENANT, 5_000);
      const eventId = await queueTestEvent(quiet);
      const queuedAtMs = Date.now();
      await waitFor("the quiet tenant's event", () => receivedAtMs(eventId) !== undefined, 10_000);
      expect((receivedAtMs(eventId) ?? Infinity) - queuedAtMs).toBeLessThan(5_000);
      expect(dead.maxOpen).toBe(MAX_DELIVERIES_IN_FLIGHT_PER_TENANT);
    } finally {
      await dead.stop();
      await worker.stop();
      await forget([noisy, quiet]);
    }
  }, 30_000);

  it("never lets one tenant hold more than its in-flight share, also as slots are refilled after timeouts", async () => {
    const deadEndpoints = [await startSilentEndpoint(), await startSilentEndpoint()];
    const noisy = await Promise.all(deadEndpoints.map((dead) => tenantWithEndpoint(dead.url)));
    for (const target of noisy) await queueBacklog(target, 40);
    const worker = startDeliveryWorker(database.db, config, { intervalMs: 100 });
    try {
      // Three rounds: the first claims, then twice the hung ones time out and their slots are refilled.
      const rounds = 3 * MAX_DELIVERIES_IN_FLIGHT_PER_TENANT;
      await waitFor("three rounds of tries", () => deadEndpoints.every((dead) => dead.received >= rounds), 15_000);
      for (const dead of deadEndpoints) expect(dead.maxOpen).toBe(MAX_DELIVERIES_IN_FLIGHT_PER_TENANT);
    } finally {
      for (const dead of deadEndpoints) await dead.stop();
      await worker.stop();
      await forget(noisy);
    }
  }, 30_000);

  it("two workers on one outbox (two web processes) deliver every event exactly once", async () => {
    const targets = [await tenantWithEndpoint(sink.url), await tenantWithEndpoint(sink.url), await tenantWithEndpoint(sink.url)];
    const eventIds = (await Promise.all(targets.map((target) => queueBacklog(target, 60)))).flat();
    const secondProcessDb = createPrismaClient(database.url);
    const workers = [startDeliveryWorker(database.db, config, { intervalMs: 10 }), startDeliveryWorker(secondProcessDb, config, { intervalMs: 10 })];
    try {
      await waitFor(
        "every delivery to settle",
        async () => (await database.db.notificationDelivery.count({ where: { eventId: { in: eventIds }, status: "pending" } })) === 0,
        45_000,
      );
      const sent = sink.requests.map((request) => String(request.headers[WebhookHeader.eventId])).filter((id) => eventIds.includes(id));
      expect(sent).toHaveLength(eventIds.length);
      expect(new Set(sent).size).toBe(eventIds.length);
      const attempts = await database.db.notificationDeliveryAttempt.count({ where: { delivery: { eventId: { in: eventIds } } } });
      expect(attempts).toBe(eventIds.length);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await secondProcessDb.$disconnect();
      await forget(targets);
    }
  }, 60_000);
});
