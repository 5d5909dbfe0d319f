// A delivery goes out once however long its try takes, and a runner that dies mid-try does not hold its
// tenant's notifications: the try's lease is renewed while it runs, and the sweep tells a live try from a
// dead runner by that lease. Real database, runners, SMTP server and webhook listener.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db";
import { parseAllowedTargets } from "@/lib/net/allowed-targets";
import { createTestApp, createUser, seedPlans, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { startDeliveryRunner } from "@/tests/helpers/delivery-runner";
import { startSmtpSink } from "@/tests/helpers/smtp-sink";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { waitFor } from "@/tests/helpers/wait-for";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import type { DeliveryConfig } from "./deliver-notification";
import { emitAppEvent } from "./emit-app-event";
import { deliveryJobKey, deliveryQueueName } from "./queue-delivery";
import { WebhookHeader } from "./sign-webhook";
import { sweepDeliveries } from "./sweep-deliveries";
import { createWebhookEndpoint, sendTestWebhookEvent } from "./webhook-endpoints";

let database: TestDatabase;
let sink: WebhookSink;
const allowedTargets = parseAllowedTargets("127.0.0.1");
/** Short enough that a try outlives several of them. */
const LEASE_MS = 1_500;

const config = (overrides: Partial<DeliveryConfig> = {}): DeliveryConfig => ({
  emailFrom: "Tollgate <notifications@tollgate.test>",
  dashboardUrl: "http://dashboard.test",
  encryptionKey: TEST_ENCRYPTION_KEY,
  retryBaseMs: 60_000,
  maxAttempts: 3,
  webhookTimeoutMs: 2_000,
  allowedWebhookTargets: allowedTargets,
  leaseMs: LEASE_MS,
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

const pendingOf = (eventIds: string[]) => database.db.notificationDelivery.count({ where: { eventId: { in: eventIds }, status: "pending" } });

describe("a try's lease", () => {
  it("sends an email that takes four leases once, with two runners and the sweep running throughout", async () => {
    const smtp = await startSmtpSink({ acceptDelayMs: 4 * LEASE_MS });
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId });
    const { eventId } = await emitAppEvent(database.db, { appId: app.id, event: { type: "app.suspended", reason: "Slow mail", changeId: "slow-1" } });
    if (!eventId) throw new Error("not emitted");
    const secondProcessDb = createPrismaClient(database.url);
    // Connected before its runner takes a job: a try has a lease's time from taking its job to claiming its row.
    await secondProcessDb.$queryRaw`SELECT 1`;
    const slowMail = config({ smtpUrl: smtp.url });
    const runners = [
      await startDeliveryRunner(database.db, { connectionString: database.url, config: slowMail, pollIntervalMs: 100 }),
      await startDeliveryRunner(secondProcessDb, { connectionString: database.url, config: slowMail, pollIntervalMs: 100 }),
    ];
    let released = 0;
    let requeued = 0;
    try {
      while ((await pendingOf([eventId])) > 0) {
        const swept = await sweepDeliveries(database.db, { leaseMs: LEASE_MS });
        released += swept.released;
        requeued += swept.requeued;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const delivery = await database.db.notificationDelivery.findFirstOrThrow({ where: { eventId }, include: { attemptLog: true } });
      expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(delivery.attemptLog).toHaveLength(1);
      expect(delivery.attemptLog[0]?.durationMs).toBeGreaterThan(4 * LEASE_MS);
      expect({ released, requeued }).toEqual({ released: 0, requeued: 0 });
      // Give a second send the time to arrive: it never does.
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      expect(smtp.messages.filter((message) => message.to.includes(user.email))).toHaveLength(1);
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
      await secondProcessDb.$disconnect();
      await smtp.stop();
    }
  }, 60_000);

  it("frees the tenant's queue of a runner that died mid-try: the sweep queues its delivery again and the tenant's next one goes too", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId });
    const { endpoint } = await createWebhookEndpoint(database.db, { actor: { id: null }, appId: app.id, endpoint: { url: sink.url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets });
    const first = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    const delivery = await database.db.notificationDelivery.findFirstOrThrow({ where: { eventId: first.eventId } });
    // What a runner killed mid-try leaves behind: its job and the tenant's queue locked by it, and the
    // try's lease, which nobody renews any more, run out.
    await database.db.$executeRaw`UPDATE graphile_worker._private_jobs SET locked_at = now() - interval '5 seconds', locked_by = 'worker-gone', attempts = 1
      WHERE key = ${deliveryJobKey(delivery.id)}`;
    await database.db.$executeRaw`UPDATE graphile_worker._private_job_queues SET locked_at = now() - interval '5 seconds', locked_by = 'worker-gone'
      WHERE queue_name = ${deliveryQueueName(user.tenantId)}`;
    await database.db.notificationDelivery.update({ where: { id: delivery.id }, data: { nextAttemptAt: new Date(Date.now() - LEASE_MS) } });
    const second = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: config(), pollIntervalMs: 100 });
    const received = (eventId: string) => sink.requests.filter((request) => request.headers[WebhookHeader.eventId] === eventId).length;
    try {
      // The queue is held: the tenant's next event waits too.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(received(second.eventId)).toBe(0);

      expect(await sweepDeliveries(database.db, { leaseMs: LEASE_MS })).toMatchObject({ released: 1, requeued: 1 });
      await waitFor("both deliveries", async () => (await pendingOf([first.eventId, second.eventId])) === 0, 10_000);
      expect([received(first.eventId), received(second.eventId)]).toEqual([1, 1]);
    } finally {
      await runner.stop();
    }
  }, 30_000);
});

describe("the sweep", () => {
  it("queues a row written without a job once, however often it runs, and removes the tenant's queue once it is idle", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId });
    const { endpoint } = await createWebhookEndpoint(database.db, { actor: { id: null }, appId: app.id, endpoint: { url: sink.url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets });
    const { eventId } = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    // A row from before deliveries were jobs.
    await database.db.$executeRaw`DELETE FROM graphile_worker._private_jobs WHERE key LIKE ${deliveryJobKey("%")}`;

    const sweeps = await Promise.all([sweepDeliveries(database.db), sweepDeliveries(database.db), sweepDeliveries(database.db)]);
    expect(sweeps.reduce((total, sweep) => total + sweep.requeued, 0)).toBeGreaterThanOrEqual(1);
    expect((await sweepDeliveries(database.db)).requeued).toBe(0);
    const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: config(), pollIntervalMs: 100 });
    try {
      await waitFor("the delivery", async () => (await pendingOf([eventId])) === 0, 10_000);
    } finally {
      await runner.stop();
    }
    expect(sink.requests.filter((request) => request.headers[WebhookHeader.eventId] === eventId)).toHaveLength(1);

    await sweepDeliveries(database.db);
    const queues = await database.db.$queryRaw<unknown[]>`SELECT 1 FROM graphile_worker._private_job_queues WHERE queue_name = ${deliveryQueueName(user.tenantId)}`;
    expect(queues).toHaveLength(0);
  }, 30_000);
});
