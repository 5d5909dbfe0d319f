// Notification delivery is fair between tenants: each tenant's deliveries run one at a time in its own
// job queue across every runner, so its backlog against an endpoint that never answers holds one slot;
// another tenant's event goes out meanwhile, first in line even when every slot is taken; and two worker
// processes sharing the queue never send one delivery twice. Real database, runners and listeners.
import { randomUUID } from "node:crypto";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db";
import { parseAllowedTargets } from "@/lib/net/allowed-targets";
import { createTestApp, createUser, seedPlans, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { startDeliveryRunner } from "@/tests/helpers/delivery-runner";
import { type SilentEndpoint, startSilentEndpoint } from "@/tests/helpers/silent-endpoint";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { waitFor } from "@/tests/helpers/wait-for";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import { workerProcesses } from "@/tests/helpers/worker-processes";
import type { DeliveryConfig } from "./deliver-notification";
import { emitAppEvent, newEventId } from "./emit-app-event";
import { WebhookHeader } from "./sign-webhook";
import { sweepDeliveries } from "./sweep-deliveries";
import { createWebhookEndpoint } from "./webhook-endpoints";

let database: TestDatabase;
let sink: WebhookSink;
/** The listeners are on 127.0.0.1, which only the operator's allowlist opens. */
const allowedTargets = parseAllowedTargets("127.0.0.1");

const config = (overrides: Partial<DeliveryConfig> = {}): DeliveryConfig => ({
  emailFrom: "Tollgate <notifications@tollgate.test>",
  dashboardUrl: "http://dashboard.test",
  encryptionKey: TEST_ENCRYPTION_KEY,
  // A failed try comes back after a minute: within a test each delivery is tried once.
  retryBaseMs: 60_000,
  maxAttempts: 3,
  webhookTimeoutMs: 2_500,
  allowedWebhookTargets: allowedTargets,
  ...overrides,
});

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

/** A new tenant with one app and one webhook endpoint at each of `urls`. */
async function tenantWithEndpoints(...urls: string[]): Promise<Target[]> {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
  const targets: Target[] = [];
  for (const url of urls) {
    const { endpoint } = await createWebhookEndpoint(database.db, { actor: { id: null }, appId: app.id, endpoint: { url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets });
    targets.push({ tenantId: user.tenantId, appId: app.id, endpointId: endpoint.id });
  }
  return targets;
}

async function tenantWithEndpoint(url: string): Promise<Target> {
  const [target] = await tenantWithEndpoints(url);
  if (!target) throw new Error("no endpoint");
  return target;
}

/** Queues one test event the way the dashboard does. */
async function queueTestEvent(target: Target): Promise<string> {
  const { eventId } = await emitAppEvent(database.db, { appId: target.appId, event: { type: "webhook.test", endpointId: target.endpointId, requestId: randomUUID() } });
  if (!eventId) throw new Error("not emitted");
  return eventId;
}

/**
 * Writes `count` due test events for the target's endpoint straight into the outbox, as rows written
 * before deliveries were jobs are (emitting them one by one takes long on a busy machine); the sweep
 * gives them their jobs.
 */
async function writeBacklog(target: Target, count: number): Promise<string[]> {
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

function receivedAtMs(eventId: string): number | undefined {
  return sink.requests.find((request) => request.headers[WebhookHeader.eventId] === eventId)?.receivedAtMs;
}

/** Removes a test's leftover backlog: its jobs then find no row and end at once. */
async function forget(targets: Target[]): Promise<void> {
  await database.db.appEvent.deleteMany({ where: { appId: { in: targets.map((target) => target.appId) } } });
}

async function stopAll(runners: Runner[], endpoints: SilentEndpoint[]): Promise<void> {
  // The listeners go first: the tries hanging on them end, and the runners stop without waiting for a timeout.
  for (const endpoint of endpoints) await endpoint.stop();
  await Promise.all(runners.map((runner) => runner.stop()));
}

describe("fair delivery", () => {
  it("delivers another tenant's event within 5 s while 1,000 of one tenant's events wait on an endpoint that never answers", async () => {
    const dead = await startSilentEndpoint();
    const noisy = await tenantWithEndpoint(dead.url);
    const quiet = await tenantWithEndpoint(sink.url);
    await writeBacklog(noisy, 1_000);
    expect((await sweepDeliveries(database.db)).requeued).toBe(1_000);
    // A web replica's runner: 4 jobs at once, looking for due jobs every second.
    const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: config() });
    try {
      await waitFor("the noisy tenant's delivery to hang", () => dead.open >= 1, 10_000);
      const eventId = await queueTestEvent(quiet);
      const queuedAtMs = Date.now();
      await waitFor("the quiet tenant's event", () => receivedAtMs(eventId) !== undefined, 10_000);
      const latencyMs = (receivedAtMs(eventId) ?? Infinity) - queuedAtMs;
      expect(latencyMs).toBeLessThan(5_000);
      // The noisy tenant's tries ran one after another: never two at once.
      expect(dead.maxOpen).toBe(1);
    } finally {
      await stopAll([runner], [dead]);
      await forget([noisy, quiet]);
    }
  }, 60_000);

  it("runs one tenant's deliveries one at a time across two runners, on all its endpoints, while another tenant's run beside them", async () => {
    const [deadA, deadB, deadOther] = [await startSilentEndpoint(), await startSilentEndpoint(), await startSilentEndpoint()];
    if (!deadA || !deadB || !deadOther) throw new Error("no listeners");
    const noisy = await tenantWithEndpoints(deadA.url, deadB.url);
    const other = await tenantWithEndpoint(deadOther.url);
    // The noisy tenant's backlog alternates between its two dead endpoints.
    for (let round = 0; round < 10; round++) for (const target of noisy) await writeBacklog(target, 1);
    await writeBacklog(other, 20);
    await sweepDeliveries(database.db);
    const fast = config({ webhookTimeoutMs: 1_000 });
    const secondProcessDb = createPrismaClient(database.url);
    const runners = [
      await startDeliveryRunner(database.db, { connectionString: database.url, config: fast }),
      await startDeliveryRunner(secondProcessDb, { connectionString: database.url, config: fast }),
    ];
    let mostAtOnce = 0;
    const watch = setInterval(() => {
      mostAtOnce = Math.max(mostAtOnce, deadA.open + deadB.open);
    }, 5);
    try {
      // Several rounds: a try times out after 1 s and the tenant's next one takes its place.
      await waitFor("six tries of the noisy tenant", () => deadA.received + deadB.received >= 6, 20_000);
      expect(mostAtOnce).toBe(1);
      expect(deadA.received).toBeGreaterThan(0);
      expect(deadB.received).toBeGreaterThan(0);
      // The other tenant was served alongside, not after.
      expect(deadOther.received).toBeGreaterThanOrEqual(4);
      expect(deadOther.maxOpen).toBe(1);
    } finally {
      clearInterval(watch);
      await stopAll(runners, [deadA, deadB, deadOther]);
      await secondProcessDb.$disconnect();
      await forget([...noisy, other]);
    }
  }, 60_000);

  it("gives the next free slot to a tenant with nothing waiting when dead endpoints of more tenants than slots hold them all", async () => {
    const deadEndpoints = [await startSilentEndpoint(), await startSilentEndpoint(), await startSilentEndpoint()];
    const noisy = await Promise.all(deadEndpoints.map((dead) => tenantWithEndpoint(dead.url)));
    for (const target of noisy) await writeBacklog(target, 30);
    await sweepDeliveries(database.db);
    const quiet = await tenantWithEndpoint(sink.url);
    const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: config({ webhookTimeoutMs: 1_500 }), concurrency: 2 });
    try {
      await waitFor("both slots to hang", () => deadEndpoints.reduce((open, dead) => open + dead.open, 0) === 2, 10_000);
      const eventId = await queueTestEvent(quiet);
      const queuedAtMs = Date.now();
      // First in line: a slot frees within a timeout, and the quiet tenant goes before the 89 older
      // deliveries waiting behind the noisy tenants (oldest-first would take 89 × 1.5 s / 2 ≈ 67 s).
      await waitFor("the quiet tenant's event", () => receivedAtMs(eventId) !== undefined, 15_000);
      expect((receivedAtMs(eventId) ?? Infinity) - queuedAtMs).toBeLessThan(5_000);
    } finally {
      await stopAll([runner], deadEndpoints);
      await forget([...noisy, quiet]);
    }
  }, 60_000);
});

describe("worker processes", () => {
  const workers = workerProcesses();
  afterAll(() => workers.stopAll());
  const startWorker = () => workers.start(database.url, { WEBHOOK_ALLOWED_TARGETS: "127.0.0.1" });

  it("two worker processes on one queue deliver every event exactly once, however often the sweep runs", async () => {
    const targets = [await tenantWithEndpoint(sink.url), await tenantWithEndpoint(sink.url), await tenantWithEndpoint(sink.url)];
    const eventIds = (await Promise.all(targets.map((target) => writeBacklog(target, 60)))).flat();
    startWorker();
    startWorker();
    // Sweeps racing each other and the workers: jobs are keyed by delivery, and a try claims its row.
    let settled = false;
    const sweeping = (async () => {
      while (!settled) await Promise.all([sweepDeliveries(database.db), sweepDeliveries(database.db)]);
    })();
    try {
      await waitFor(
        "every delivery to settle",
        async () => (await database.db.notificationDelivery.count({ where: { eventId: { in: eventIds }, status: "pending" } })) === 0,
        60_000,
      );
    } finally {
      settled = true;
      await sweeping;
    }
    const sent = sink.requests.map((request) => String(request.headers[WebhookHeader.eventId])).filter((id) => eventIds.includes(id));
    expect(sent).toHaveLength(eventIds.length);
    expect(new Set(sent).size).toBe(eventIds.length);
    const attempts = await database.db.notificationDeliveryAttempt.count({ where: { delivery: { eventId: { in: eventIds } } } });
    expect(attempts).toBe(eventIds.length);
    await forget(targets);
  }, 90_000);
});
