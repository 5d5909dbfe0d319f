import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllowedTargets } from "@/lib/net/allowed-targets";
import { addMonthsUtc, billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";
import { createTestApp, createUser, seedPlans, TEST_ENCRYPTION_KEY, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { startSmtpSink, type SmtpSink } from "@/tests/helpers/smtp-sink";
import { startDeliveryRunner } from "@/tests/helpers/delivery-runner";
import { queuedJobs } from "@/tests/helpers/queued-jobs";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { startWebhookSink, type WebhookSink } from "@/tests/helpers/webhook-sink";
import { type DeliveryConfig, retryDelayMs } from "./deliver-notification";
import { checkUsageThresholds, USAGE_THRESHOLDS_JOB } from "./check-usage-thresholds";
import { emitAppEvent } from "./emit-app-event";
import { listNotifications, markNotificationsRead } from "./list-notifications";
import { verifyWebhookSignature, WebhookHeader } from "./sign-webhook";
import { createWebhookEndpoint, listWebhookDeliveries, sendTestWebhookEvent } from "./webhook-endpoints";
import { createWebhookEndpointSchema } from "./webhook.types";

let database: TestDatabase;
let smtp: SmtpSink;
let sink: WebhookSink;
const actor = { id: null };
/** The webhook sink listens on 127.0.0.1, which only the operator's allowlist opens. */
const allowedTargets = parseAllowedTargets("127.0.0.1");

const config = (overrides: Partial<DeliveryConfig> = {}): DeliveryConfig => ({
  smtpUrl: smtp.url,
  emailFrom: "Tollgate <notifications@tollgate.test>",
  dashboardUrl: "http://dashboard.test",
  encryptionKey: TEST_ENCRYPTION_KEY,
  retryBaseMs: 50,
  maxAttempts: 3,
  webhookTimeoutMs: 5_000,
  allowedWebhookTargets: allowedTargets,
  ...overrides,
});

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
  smtp = await startSmtpSink();
  sink = await startWebhookSink();
});
afterAll(async () => {
  await sink?.stop();
  await smtp?.stop();
  await database?.drop();
});

/** `webhookUrl`: where the webhook points instead of the shared sink. */
async function newApp(options: { maxMessagesPerPeriod?: number; webhook?: boolean; webhookUrl?: string } = {}) {
  const user = await createUser(database.db);
  const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "starter" });
  if (options.maxMessagesPerPeriod) await database.db.appLimitOverride.create({ data: { appId: app.id, maxMessagesPerPeriod: options.maxMessagesPerPeriod } });
  const row = await database.db.app.findUniqueOrThrow({ where: { id: app.id } });
  const period = billingPeriodAt(row.billingAnchor, new Date());
  const webhook = options.webhook
    ? await createWebhookEndpoint(database.db, { actor, appId: app.id, endpoint: { url: options.webhookUrl ?? sink.url }, encryptionKey: TEST_ENCRYPTION_KEY, allowedTargets })
    : null;
  return { id: app.id, user, period, periodStartUnix: toUnixSeconds(period.start), webhook, anchor: row.billingAnchor };
}

/** Runs the usage alert checks the app's flushes queued (the job's task, as a runner would). */
async function runQueuedThresholdChecks(appId: string): Promise<void> {
  const jobs = (await queuedJobs(database.db, USAGE_THRESHOLDS_JOB)).filter((job) => job.payload.appId === appId);
  expect(jobs.length).toBeGreaterThan(0);
  for (const { payload } of jobs) await checkUsageThresholds(database.db, { appId, at: new Date(Number(payload.periodStartUnix) * 1000) });
}

/** Runs a job queue runner until every delivery of these events is settled (other tests' rows share the table). */
async function drain(eventIds: string[], deliveryConfig = config(), timeoutMs = 15_000) {
  const runner = await startDeliveryRunner(database.db, { connectionString: database.url, config: deliveryConfig, pollIntervalMs: 50 });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = await database.db.notificationDelivery.count({ where: { eventId: { in: eventIds }, status: "pending" } });
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`${pending} deliveries still pending`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await runner.stop();
  }
}

describe("event de-duplication", () => {
  it("concurrent flushes jumping past 75/90/100 % raise one alert for the highest level, once, with one email and one webhook delivery", async () => {
    const app = await newApp({ maxMessagesPerPeriod: 100, webhook: true });
    const batches = Array.from({ length: 8 }, () => usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 20 })]));
    await Promise.all(batches.map((batch) => applyUsageBatch(database.db, batch)));
    await runQueuedThresholdChecks(app.id);
    // A retried batch and further usage raise nothing new.
    await applyUsageBatch(database.db, batches[0] ?? usageBatch([]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 50 })]));
    await runQueuedThresholdChecks(app.id);
    const events = await database.db.appEvent.findMany({ where: { appId: app.id, type: "usage.threshold" }, include: { deliveries: true } });
    expect(events.map((event) => event.data)).toMatchObject([{ percent: 100, passed: [75, 90] }]);
    for (const event of events) expect(event.deliveries.map((d) => d.channel).sort()).toEqual(["email", "webhook"]);
  });

  it("the same event emitted concurrently is stored once", async () => {
    const app = await newApp();
    const event = { type: "plan_fee.failed" as const, planName: "Starter", amountMinor: 2900, reason: "The card was declined", periodStartUnix: app.periodStartUnix, graceEndsAt: null };
    const results = await Promise.all(Array.from({ length: 10 }, () => emitAppEvent(database.db, { appId: app.id, event })));
    expect(results.filter((result) => result.emitted)).toHaveLength(1);
    expect(await database.db.appEvent.count({ where: { appId: app.id } })).toBe(1);
    expect(await database.db.notificationDelivery.count({ where: { event: { appId: app.id } } })).toBe(1);
  });

  it("a new period raises its alerts again", async () => {
    const app = await newApp({ maxMessagesPerPeriod: 10 });
    const nextStartUnix = toUnixSeconds(addMonthsUtc(app.period.start, 1));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, app.periodStartUnix, { messagesAccepted: 10 })]));
    await applyUsageBatch(database.db, usageBatch([usageDelta(app.id, nextStartUnix, { messagesAccepted: 10 })]));
    await runQueuedThresholdChecks(app.id);
    expect(await database.db.appEvent.count({ where: { appId: app.id, type: "usage.threshold" } })).toBe(2);
  });

  it("refused messages, connections and subscribes (channel limits) raise quota reached once per axis and period", async () => {
    const app = await newApp();
    for (let i = 0; i < 3; i++) {
      await applyUsageBatch(
        database.db,
        usageBatch([usageDelta(app.id, app.periodStartUnix, { softDrops: 2, closesByCode: { "4010": 1 }, refusedSubscribes: { channel_full: 1, channel_quota_exceeded: 3 } })]),
      );
    }
    const events = await database.db.appEvent.findMany({ where: { appId: app.id, type: "quota.reached" } });
    expect(events.map((event) => (event.data as { axis: string }).axis).sort()).toEqual(["channel_peers", "channels", "connections", "messages"]);
  });
});

describe("delivery", () => {
  it("emails the app's members through SMTP and posts a signed webhook", async () => {
    const app = await newApp({ webhook: true });
    sink.respondWith([200]);
    const { eventId } = await emitAppEvent(database.db, { appId: app.id, event: { type: "app.suspended", reason: "Abuse report #12", changeId: "c1" } });
    if (!eventId) throw new Error("not emitted");
    await drain([eventId]);
    const email = smtp.messages.find((message) => message.to.includes(app.user.email));
    expect(email?.subject).toContain("was suspended");
    expect(email?.raw).toContain("Abuse report #12");
    const request = sink.requests.find((received) => received.headers[WebhookHeader.eventId] === eventId);
    if (!request || !app.webhook) throw new Error("webhook not received");
    expect(JSON.parse(request.body)).toMatchObject({ id: eventId, type: "app.suspended", appId: app.id, data: { reason: "Abuse report #12" } });
    const headers = { signatureHeader: String(request.headers[WebhookHeader.signature]), timestampHeader: String(request.headers[WebhookHeader.timestamp]), body: request.body };
    expect(verifyWebhookSignature({ secret: app.webhook.secret, ...headers })).toBe(true);
    expect(verifyWebhookSignature({ secret: "whsec_wrong", ...headers })).toBe(false);
    expect(verifyWebhookSignature({ secret: app.webhook.secret, ...headers, body: request.body.replace("12", "13") })).toBe(false);
    expect(verifyWebhookSignature({ secret: app.webhook.secret, ...headers, nowUnix: Number(headers.timestampHeader) + 600 })).toBe(false);
  });

  it("retries a failing webhook with exponential backoff and logs every response code", async () => {
    // A listener of its own: earlier tests' deliveries to the shared sink, still queued, cannot take its scripted answers.
    const flaky = await startWebhookSink();
    try {
      const app = await newApp({ webhook: true, webhookUrl: flaky.url });
      if (!app.webhook) throw new Error("no webhook");
      flaky.respondWith([500, 503, 200]);
      const { eventId } = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: app.webhook.endpoint.id });
      await drain([eventId], config({ retryBaseMs: 200, maxAttempts: 5 }));
      const [delivery] = await listWebhookDeliveries(database.db, { appId: app.id, endpointId: app.webhook.endpoint.id });
      expect(delivery).toMatchObject({ status: "succeeded", attempts: 3, lastResponseStatus: 200, eventType: "webhook.test" });
      expect(delivery?.attemptLog.map((attempt) => attempt.responseStatus)).toEqual([500, 503, 200]);
      const times = flaky.requests.filter((received) => received.headers[WebhookHeader.eventId] === eventId).map((received) => received.receivedAtMs);
      expect(times).toHaveLength(3);
      expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(200);
      expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(400);
    } finally {
      await flaky.stop();
    }
    expect(retryDelayMs(1, 1000)).toBe(1000);
    expect(retryDelayMs(4, 1000)).toBe(8000);
    expect(retryDelayMs(30, 1000)).toBe(3_600_000);
  });

  it("gives up after the last attempt and marks the delivery failed", async () => {
    const failing = await startWebhookSink();
    try {
      const app = await newApp({ webhook: true, webhookUrl: failing.url });
      if (!app.webhook) throw new Error("no webhook");
      failing.respondWith([500]);
      const { eventId } = await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: app.webhook.endpoint.id });
      await drain([eventId], config({ retryBaseMs: 20, maxAttempts: 2 }));
      const [delivery] = await listWebhookDeliveries(database.db, { appId: app.id, endpointId: app.webhook.endpoint.id });
      expect(delivery).toMatchObject({ status: "failed", attempts: 2, lastResponseStatus: 500, lastError: "HTTP 500" });
    } finally {
      await failing.stop();
    }
  });

  it("a test event goes to its endpoint only and is not a notification", async () => {
    const app = await newApp({ webhook: true });
    if (!app.webhook) throw new Error("no webhook");
    await sendTestWebhookEvent(database.db, { appId: app.id, endpointId: app.webhook.endpoint.id });
    const deliveries = await database.db.notificationDelivery.findMany({ where: { event: { appId: app.id } } });
    expect(deliveries.map((d) => d.channel)).toEqual(["webhook"]);
    expect((await listNotifications(database.db, { userId: app.user.id })).notifications).toHaveLength(0);
  });

  it("skips emails without SMTP_URL", async () => {
    const app = await newApp();
    const { eventId } = await emitAppEvent(database.db, { appId: app.id, event: { type: "app.suspended", reason: null, changeId: "c2" } });
    if (!eventId) throw new Error("not emitted");
    await drain([eventId], config({ smtpUrl: undefined }));
    const delivery = await database.db.notificationDelivery.findFirstOrThrow({ where: { eventId } });
    expect(delivery).toMatchObject({ status: "skipped", lastError: "SMTP_URL is not set" });
  });

  it("refuses webhook URLs that are not http(s)", () => {
    for (const url of ["file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "javascript:alert(1)", "ftp://example.com/", "not a url", "https://user:pw@example.com/"]) {
      expect(createWebhookEndpointSchema.safeParse({ url }).success, url).toBe(false);
    }
    expect(createWebhookEndpointSchema.safeParse({ url: "https://example.com/hooks" }).success).toBe(true);
  });
});

describe("notification centre", () => {
  it("lists a member's events with the unread count, marks them read, and shows nothing to strangers", async () => {
    const app = await newApp();
    const stranger = await createUser(database.db);
    await emitAppEvent(database.db, { appId: app.id, event: { type: "quota.reached", axis: "messages", refused: 4, periodStartUnix: app.periodStartUnix } });
    await emitAppEvent(database.db, { appId: app.id, event: { type: "usage.threshold", axis: "messages", percent: 75, used: 75, limit: 100, periodStartUnix: app.periodStartUnix } });
    const listed = await listNotifications(database.db, { userId: app.user.id });
    expect(listed.unreadCount).toBe(2);
    expect(listed.notifications.find((n) => n.type === "quota.reached")).toMatchObject({ banner: true, severity: "critical", readAt: null });
    expect(listed.notifications.find((n) => n.type === "usage.threshold")).toMatchObject({ banner: false });
    const quotaId = listed.notifications.find((n) => n.type === "quota.reached")?.id ?? "";
    expect(await markNotificationsRead(database.db, { userId: stranger.id, body: { eventIds: [quotaId] } })).toEqual({ marked: 0 });
    expect((await listNotifications(database.db, { userId: stranger.id })).notifications).toHaveLength(0);
    expect(await markNotificationsRead(database.db, { userId: app.user.id, body: { eventIds: [quotaId] } })).toEqual({ marked: 1 });
    expect((await listNotifications(database.db, { userId: app.user.id })).unreadCount).toBe(1);
    expect(await markNotificationsRead(database.db, { userId: app.user.id, body: { all: true } })).toEqual({ marked: 1 });
    expect((await listNotifications(database.db, { userId: app.user.id, unreadOnly: true })).notifications).toHaveLength(0);
  });
});
