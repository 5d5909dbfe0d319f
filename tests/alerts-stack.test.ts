// Alerts and spend guardrails on the real stack (web + relay + fresh database), with a real SMTP sink
// and a real webhook receiver on 127.0.0.1: usage crossing 75 / 90 / 100 % through the relay's usage
// flushes produces one dashboard notification, one email and one signed webhook per threshold; a
// spend cap stops usage charges where set and the relay refuses as for an exhausted balance (4010); a
// declined auto-recharge is announced.
import { randomUUID } from "node:crypto";
import { CloseCode } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { verifyWebhookSignature, WebhookHeader } from "@/lib/notifications/sign-webhook";
import { SessionClient } from "./helpers/session-client";
import { startSmtpSink, type SmtpSink } from "./helpers/smtp-sink";
import { createPaidApp } from "./helpers/paid-app";
import { startStack, type Stack } from "./helpers/stack";
import { startWebhookSink, type WebhookSink } from "./helpers/webhook-sink";

const USAGE_FLUSH_MS = 500;
const PLAN_CACHE_REFRESH_MS = 1_000;
/** Flush + outbox worker + margin for a loaded machine. */
const ALERT_DEADLINE_MS = 15_000;
/** Each test waits on several flushes and worker passes; generous for a loaded machine. */
const TEST_TIMEOUT_MS = 90_000;

interface Frame {
  type: string;
  [field: string]: unknown;
}

interface Peer {
  socket: WebSocket;
  frames: Frame[];
  closeCode: number | null;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens a connection and resolves once it is welcomed or closed. */
async function connect(url: string): Promise<Peer> {
  const peer: Peer = { socket: new WebSocket(url), frames: [], closeCode: null };
  peer.socket.on("message", (data) => peer.frames.push(JSON.parse(String(data)) as Frame));
  peer.socket.on("close", (code) => (peer.closeCode = code));
  await until(() => (peer.frames.some((f) => f.type === "welcome") || peer.closeCode !== null ? true : undefined), 10_000, "welcome or close");
  return peer;
}

interface Notification {
  id: string;
  appId: string;
  type: string;
  title: string;
  banner: boolean;
  readAt: string | null;
}

describe("alerts and spend guardrails, end to end", () => {
  let stack: Stack;
  let smtp: SmtpSink;
  let hooks: WebhookSink;
  let customer: SessionClient;
  let admin: SessionClient;
  let customerEmail: string;
  const peers: Peer[] = [];

  /** A customer of a new team (a wallet of its own). */
  async function newCustomer(): Promise<{ client: SessionClient; email: string }> {
    const client = new SessionClient(stack.webUrl);
    const email = `alerts-${randomUUID().slice(0, 8)}@example.com`;
    await client.json("/api/auth/sign-up", { method: "POST", body: JSON.stringify({ email, password: "a-good-password" }) });
    expect(await client.signIn(email, "a-good-password")).toBe(true);
    return { client, email };
  }

  async function newApp(planSlug: string, override: Record<string, number>, owner: SessionClient = customer) {
    const id = await createPaidApp(owner, `Alerts ${planSlug}`, planSlug);
    expect((await admin.json(`/api/admin/apps/${id}/override`, { method: "PUT", body: JSON.stringify(override) })).status).toBe(200);
    const key = await owner.json<{ key: { id: string }; secret: string }>(`/api/apps/${id}/keys`, { method: "POST", body: JSON.stringify({ kind: "secret", name: "k" }) });
    const authorization = `Bearer ${key.body.key.id}:${key.body.secret}`;
    const open = async (peerId: string) => {
      const res = await fetch(new URL("/v1/tokens", stack.webUrl), { method: "POST", headers: { authorization, "content-type": "application/json" }, body: JSON.stringify({ peerId }) });
      const { token } = (await res.json()) as { token: string };
      const peer = await connect(`${stack.relayUrl}/v1?token=${token}`);
      peers.push(peer);
      return peer;
    };
    // Until the relay has loaded the new key, its tokens are refused with 4001.
    await until(
      async () => {
        const probe = await open("probe");
        probe.socket.terminate();
        return probe.closeCode === CloseCode.InvalidToken ? undefined : true;
      },
      10_000,
      "the relay to know the new app",
    );
    return { id, open };
  }

  const notificationsOf = async (appId: string, owner: SessionClient = customer) =>
    (await owner.json<{ notifications: Notification[]; unreadCount: number }>(`/api/notifications?appId=${appId}`)).body.notifications;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    hooks = await startWebhookSink();
    stack = await startStack({
      planCacheRefreshMs: PLAN_CACHE_REFRESH_MS,
      usageFlushMs: USAGE_FLUSH_MS,
      // The webhook receiver listens on 127.0.0.1, which webhooks reach only when the operator allows it.
      env: { SMTP_URL: smtp.url, NOTIFICATION_RETRY_BASE_MS: "200", WEBHOOK_ALLOWED_TARGETS: "127.0.0.1" },
    });
    ({ client: customer, email: customerEmail } = await newCustomer());
    admin = new SessionClient(stack.webUrl);
    expect(await admin.signIn(stack.admin.email, stack.admin.password)).toBe(true);
  }, 240_000);

  afterAll(async () => {
    for (const peer of peers) peer.socket.terminate();
    await stack?.stop();
    await hooks?.stop();
    await smtp?.stop();
  }, TEST_TIMEOUT_MS);

  it("crossing 75, 90 and 100 % gives one notification, one email and one signed webhook each; refusals raise quota reached", async () => {
    const app = await newApp("starter", { maxMessagesPerPeriod: 20 });
    const endpoint = await customer.json<{ endpoint: { id: string }; secret: string }>(`/api/apps/${app.id}/webhooks`, {
      method: "POST",
      body: JSON.stringify({ url: hooks.url }),
    });
    expect(endpoint.status).toBe(201);
    const sender = await app.open("sender");
    let sent = 0;
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) sender.socket.send(JSON.stringify({ type: "publish", channel: "room", data: { i: sent }, requestId: `p${sent++}` }));
      await until(() => (sender.frames.filter((f) => f.requestId !== undefined).length >= sent ? true : undefined), 10_000, "answers to publishes");
    };
    const thresholdsSeen = async (percent: number) =>
      until(
        async () => {
          const listed = await notificationsOf(app.id);
          const matching = listed.filter((n) => n.type === "usage.threshold" && n.title.includes(`${percent}%`));
          return matching.length > 0 ? matching : undefined;
        },
        ALERT_DEADLINE_MS,
        `the ${percent}% notification`,
      );

    await publish(15); // 75 % of 20
    await thresholdsSeen(75);
    await publish(3); // 90 %
    await thresholdsSeen(90);
    await publish(2); // 100 %
    await thresholdsSeen(100);
    // Over the quota: refused with over_message_quota. (Not asserted to be exact here: between a usage
    // acknowledgement and the next snapshot the relay's counter can lag by one flush — reported to
    // the relay-counting work; this test is about the alerts.)
    const refusals = () => sender.frames.filter((f) => f.type === "error" && f.code === "over_message_quota").length;
    for (let i = 0; i < 10 && refusals() === 0; i++) await publish(1);
    expect(refusals()).toBeGreaterThan(0);
    const quota = await until(
      async () => (await notificationsOf(app.id)).find((n) => n.type === "quota.reached") ?? undefined,
      ALERT_DEADLINE_MS,
      "the quota reached notification",
    );
    expect(quota.banner).toBe(true);

    // Let a few more flushes and worker passes run: nothing fires twice.
    await new Promise((resolve) => setTimeout(resolve, USAGE_FLUSH_MS * 4));
    const listed = await notificationsOf(app.id);
    for (const percent of [75, 90, 100]) {
      expect(listed.filter((n) => n.type === "usage.threshold" && n.title.includes(`${percent}%`)), `${percent}% notifications`).toHaveLength(1);
    }
    const usageEventIds = listed.filter((n) => n.type === "usage.threshold").map((n) => n.id);
    const hooksFor = (eventId: string) => hooks.requests.filter((r) => r.headers[WebhookHeader.eventId] === eventId);
    await until(() => (usageEventIds.every((id) => hooksFor(id).length > 0) ? true : undefined), ALERT_DEADLINE_MS, "the webhooks");
    for (const eventId of usageEventIds) {
      const received = hooksFor(eventId);
      expect(received).toHaveLength(1);
      const request = received[0];
      if (!request) throw new Error("no webhook");
      expect(
        verifyWebhookSignature({
          secret: endpoint.body.secret,
          signatureHeader: String(request.headers[WebhookHeader.signature]),
          timestampHeader: String(request.headers[WebhookHeader.timestamp]),
          body: request.body,
        }),
      ).toBe(true);
      expect(JSON.parse(request.body)).toMatchObject({ id: eventId, type: "usage.threshold", appId: app.id, data: { axis: "messages", limit: 20 } });
    }
    const emailsFor = (percent: number) => smtp.messages.filter((m) => m.to.includes(customerEmail) && m.subject.includes(`${percent}% of messages`));
    await until(() => ([75, 90, 100].every((p) => emailsFor(p).length > 0) ? true : undefined), ALERT_DEADLINE_MS, "the emails");
    for (const percent of [75, 90, 100]) expect(emailsFor(percent), `${percent}% emails`).toHaveLength(1);
    // The admin's override that set the quota was announced as well.
    expect(listed.filter((n) => n.type === "limits.changed")).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it("a spend cap stops usage charges at the cap: the relay then refuses overage connections with 4010", async () => {
    // Growth bills an overage connection at 3; a cap of 100 leaves room for 33 of them.
    const app = await newApp("growth", { maxConcurrentConnections: 1 });
    expect(
      (await customer.json(`/api/apps/${app.id}/billing/top-up`, { method: "POST", body: JSON.stringify({ amountMinor: 1000, cardNumber: "4242424242424242" }) })).status,
    ).toBe(200);
    expect((await customer.json(`/api/apps/${app.id}`, { method: "PATCH", body: JSON.stringify({ overagesEnabled: true }) })).status).toBe(200);
    const capped = await customer.json(`/api/apps/${app.id}/billing/spend-controls`, {
      method: "PUT",
      body: JSON.stringify({ monthlySpendCapMinor: 100, autoRechargeMonthlyCeilingMinor: null }),
    });
    expect(capped.status).toBe(200);
    // The relay reads the cap from its plan snapshot (the spendable balance): give it two polls.
    await new Promise((resolve) => setTimeout(resolve, PLAN_CACHE_REFRESH_MS * 2 + 500));

    const admitted: Peer[] = [];
    let refused: Peer | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const peer = await app.open(`c${i}`);
      if (peer.closeCode === CloseCode.OverConcurrentLimit) refused = peer;
      else admitted.push(peer);
    }
    expect(refused?.closeCode).toBe(CloseCode.OverConcurrentLimit);
    // One within the plan, then 33 overage connections at 3 each fit under 100.
    expect(admitted).toHaveLength(34);
    const spend = await until(
      async () => {
        const res = await customer.json<{ spendControls: { usageChargesThisPeriodMinor: number } }>(`/api/apps/${app.id}/billing/spend-controls`);
        return res.body.spendControls.usageChargesThisPeriodMinor >= 99 ? res.body.spendControls : undefined;
      },
      ALERT_DEADLINE_MS,
      "the overage charges to be flushed",
    );
    expect(spend.usageChargesThisPeriodMinor).toBe(99);
    const billing = await customer.json<{ balanceMinor: number }>(`/api/apps/${app.id}/billing`);
    expect(billing.body.balanceMinor).toBe(1000 - 99);
    // Further attempts stay refused and charge nothing.
    const again = await app.open("again");
    expect(again.closeCode).toBe(CloseCode.OverConcurrentLimit);
    await new Promise((resolve) => setTimeout(resolve, USAGE_FLUSH_MS * 3));
    const after = await customer.json<{ spendControls: { usageChargesThisPeriodMinor: number } }>(`/api/apps/${app.id}/billing/spend-controls`);
    expect(after.body.spendControls.usageChargesThisPeriodMinor).toBeLessThanOrEqual(100);
  }, TEST_TIMEOUT_MS);

  it("a declined auto-recharge is announced in the dashboard (as a banner) and by email", async () => {
    // A team of its own: the wallet is the team's, and this one must start empty.
    const { client: owner, email: ownerEmail } = await newCustomer();
    const app = await newApp("growth", { maxConcurrentConnections: 1 }, owner);
    const settings = await owner.json(`/api/apps/${app.id}/billing/auto-recharge`, {
      method: "PUT",
      body: JSON.stringify({ enabled: true, thresholdMinor: 100, amountMinor: 1000, cardNumber: "4000000000000341" }),
    });
    expect(settings.status).toBe(200);
    expect((await owner.json(`/api/apps/${app.id}`, { method: "PATCH", body: JSON.stringify({ overagesEnabled: true }) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, PLAN_CACHE_REFRESH_MS * 2 + 500));
    await app.open("first");
    const second = await app.open("second");
    expect(second.closeCode).toBe(CloseCode.OverConcurrentLimit);
    const declined = await until(
      async () => (await notificationsOf(app.id, owner)).find((n) => n.type === "auto_recharge.declined") ?? undefined,
      ALERT_DEADLINE_MS,
      "the declined notification",
    );
    expect(declined).toMatchObject({ banner: true, readAt: null });
    expect(declined.title).toContain("declined");
    await until(() => smtp.messages.find((m) => m.to.includes(ownerEmail) && m.subject.includes("auto-recharge of $10.00 declined")), ALERT_DEADLINE_MS, "the email");
    const read = await owner.json<{ marked: number }>("/api/notifications/read", { method: "POST", body: JSON.stringify({ eventIds: [declined.id] }) });
    expect(read.body.marked).toBe(1);
  }, TEST_TIMEOUT_MS);
});
