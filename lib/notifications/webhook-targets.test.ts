// Where a tenant's webhooks may point, through the domain functions and the real delivery job:
// literal internal addresses are refused when the endpoint is added, names resolving to one fail
// their deliveries, and the delivery log shows only the tenant-facing words for any failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "@/lib/errors";
import { type AllowedTargets, NO_ALLOWED_TARGETS, parseAllowedTargets } from "@/lib/net/allowed-targets";
import type { ResolveHost } from "@/lib/net/target-policy";
import { createTestApp, createUser, seedPlans, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { startDeliveryRunner } from "@/tests/helpers/delivery-runner";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import type { DeliveryConfig } from "./deliver-notification";
import { createWebhookEndpoint, listWebhookDeliveries, sendTestWebhookEvent } from "./webhook-endpoints";

let database: TestDatabase;
let sink: WebhookSink;
let port: string;
const actor = { id: null };

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
  sink = await startWebhookSink();
  port = new URL(sink.url).port;
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});

async function newApp() {
  const user = await createUser(database.db);
  return createTestApp(database.db, { tenantId: user.tenantId });
}

function addEndpoint(appId: string, url: string, allowedTargets: AllowedTargets = NO_ALLOWED_TARGETS) {
  return createWebhookEndpoint(database.db, { actor, appId, endpoint: { url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets });
}

const config = (overrides: Partial<DeliveryConfig> = {}): DeliveryConfig => ({
  emailFrom: "Tollgate <notifications@tollgate.test>",
  dashboardUrl: "http://dashboard.test",
  encryptionKey: TEST_ENCRYPTION_KEY,
  retryBaseMs: 20,
  maxAttempts: 2,
  webhookTimeoutMs: 2_000,
  allowedWebhookTargets: NO_ALLOWED_TARGETS,
  ...overrides,
});

/** Runs a job queue runner until these events' deliveries are settled. */
async function drain(eventIds: string[], deliveryConfig: DeliveryConfig) {
  const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: deliveryConfig, pollIntervalMs: 50 });
  try {
    const deadline = Date.now() + 10_000;
    while ((await database.db.notificationDelivery.count({ where: { eventId: { in: eventIds }, status: "pending" } })) > 0) {
      if (Date.now() > deadline) throw new Error("deliveries still pending");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await runner.stop();
  }
}

const requestsFor = (eventId: string) => sink.requests.filter((request) => request.headers["tollgate-event-id"] === eventId);

describe("adding an endpoint", () => {
  const forbiddenUrls = () => [
    `http://127.0.0.1:${port}/hooks`,
    `http://localhost:${port}/hooks`,
    `http://127.1:${port}/hooks`,
    `http://2130706433:${port}/hooks`,
    `http://0x7f000001:${port}/hooks`,
    `http://0177.0.0.1:${port}/hooks`,
    `http://[::ffff:127.0.0.1]:${port}/hooks`,
    `http://[::ffff:7f00:1]:${port}/hooks`,
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://[fd00::1]/",
  ];

  it("refuses every spelling of an internal address with 422 on url, saying why and naming the setting", async () => {
    const app = await newApp();
    for (const url of forbiddenUrls()) {
      const refused = await addEndpoint(app.id, url).catch((error: unknown) => error);
      expect(refused, url).toBeInstanceOf(DomainError);
      expect(refused, url).toMatchObject({ code: "unprocessable", httpStatus: 422, field: "url" });
      expect((refused as DomainError).message, url).toMatch(/ is (a|an|the) [a-z- ()]+ (address|name)\. Webhooks reach only the public internet; .*WEBHOOK_ALLOWED_TARGETS/);
    }
    expect(await database.db.webhookEndpoint.count({ where: { appId: app.id } })).toBe(0);
  });

  it("accepts them once the operator allows them", async () => {
    const app = await newApp();
    const allowed = parseAllowedTargets("127.0.0.0/8, localhost, 169.254.169.254, 10.0.0.1, fd00::/8");
    for (const url of forbiddenUrls()) {
      const { endpoint } = await addEndpoint(app.id, url, allowed);
      expect(endpoint.url).toBe(url);
      // An app holds at most 10 endpoints.
      await database.db.webhookEndpoint.delete({ where: { id: endpoint.id } });
    }
  });
});

describe("delivering", () => {
  it("a name that resolves to loopback fails with 'address not allowed' in the delivery log, and the listener gets nothing", async () => {
    const app = await newApp();
    // A name is accepted when added: only resolving it tells where it points.
    const { endpoint } = await addEndpoint(app.id, `http://hooks.customer.test:${port}/hooks`);
    const asked: string[] = [];
    const resolveToLoopback: ResolveHost = async (host) => {
      asked.push(host);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const { eventId } = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    await drain([eventId], config({ resolveWebhookHost: resolveToLoopback }));
    const [delivery] = await listWebhookDeliveries(database.db, { appId: app.id, endpointId: endpoint.id });
    expect(delivery).toMatchObject({ status: "failed", attempts: 2, lastResponseStatus: null, lastError: "address not allowed" });
    expect(delivery?.attemptLog.map((attempt) => attempt.error)).toEqual(["address not allowed", "address not allowed"]);
    expect(asked).toEqual(["hooks.customer.test", "hooks.customer.test"]);
    expect(requestsFor(eventId)).toHaveLength(0);
  });

  it("an endpoint added while the operator allowed it fails once the allowlist no longer covers it", async () => {
    const app = await newApp();
    const { endpoint } = await addEndpoint(app.id, `http://2130706433:${port}/hooks`, parseAllowedTargets("127.0.0.1"));
    const allowedThen = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    await drain([allowedThen.eventId], config({ allowedWebhookTargets: parseAllowedTargets("127.0.0.1") }));
    expect(requestsFor(allowedThen.eventId)).toHaveLength(1);
    const refusedNow = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    await drain([refusedNow.eventId], config());
    const deliveries = await listWebhookDeliveries(database.db, { appId: app.id, endpointId: endpoint.id });
    expect(deliveries.map((delivery) => [delivery.status, delivery.lastError])).toEqual([
      ["failed", "address not allowed"],
      ["succeeded", null],
    ]);
    expect(requestsFor(refusedNow.eventId)).toHaveLength(0);
  });
});

describe("the delivery log", () => {
  it("shows errors stored by earlier versions as 'could not connect', never the raw text", async () => {
    const app = await newApp();
    const { endpoint } = await addEndpoint(app.id, "https://hooks.example.com/tollgate");
    const { eventId } = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: endpoint.id });
    const delivery = await database.db.notificationDelivery.findFirstOrThrow({ where: { eventId } });
    const legacy = ["TypeError: fetch failed", "connect ECONNREFUSED 10.0.0.5:6379", "timed out after 10000 ms", "HTTP 503"];
    await database.db.notificationDeliveryAttempt.createMany({
      data: legacy.map((error, index) => ({ deliveryId: delivery.id, attemptNumber: index + 1, error, durationMs: 1 })),
    });
    await database.db.notificationDelivery.update({ where: { id: delivery.id }, data: { status: "failed", attempts: 4, lastError: "TypeError: fetch failed" } });
    const [listed] = await listWebhookDeliveries(database.db, { appId: app.id, endpointId: endpoint.id });
    expect(listed?.lastError).toBe("could not connect");
    expect(listed?.attemptLog.map((attempt) => attempt.error)).toEqual(["could not connect", "could not connect", "timed out after 10000 ms", "HTTP 503"]);
  });
});
