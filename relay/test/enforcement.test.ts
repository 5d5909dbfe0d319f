// Runtime enforcement: the quota/overage/balance/recharge matrix (PROTOCOL §6), the concurrency gate,
// token bucket, per-IP connect limit, revocation and suspension of live connections, slow consumers,
// keepalive, graceful shutdown and the backend/internal error paths.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, ErrorCode, PlanDefaults, RelayInternalPath, relayStatsResponseSchema } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { createMemoryState } from "../src/state/memory";
import {
  FakeControlPlane,
  TestClient,
  appFixture,
  eventually,
  expectRefused,
  firstPublishableKey,
  firstSecretKey,
  internalHeaders,
  mintToken,
  removeTempDirs,
  sleep,
  startTestRelay,
} from "./helpers";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const extraRelays: RelayHandle[] = [];
const openClients: TestClient[] = [];

async function addApp(overrides: Parameters<typeof appFixture>[0] = {}, target: RelayHandle = relay): Promise<SnapshotApp> {
  const app = appFixture(overrides);
  controlPlane.setApps([...controlPlane.apps, app]);
  await target.refreshNow();
  return app;
}

async function connect(app: SnapshotApp, target: RelayHandle = relay, sub?: string): Promise<TestClient> {
  const client = await TestClient.connect(target, `token=${await mintToken(firstSecretKey(app), sub ? { sub } : {})}`);
  openClients.push(client);
  return client;
}

async function tokenUrl(app: SnapshotApp, target: RelayHandle = relay): Promise<string> {
  return `${target.url}/v1?token=${await mintToken(firstSecretKey(app))}`;
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  relay = await startTestRelay(controlPlane);
});

afterEach(() => {
  for (const client of openClients.splice(0)) client.close();
});

afterAll(async () => {
  await Promise.all([relay, ...extraRelays].map((r) => r.close()));
  await controlPlane.stop();
  await removeTempDirs();
});

describe("message quota matrix", () => {
  it("within plan: allowed up to the cap; over plan with overages off: over_message_quota, connection stays", async () => {
    const app = await addApp({ limits: { maxMessagesPerPeriod: 3 }, usage: { messagesUsed: 1 } });
    const client = await connect(app);
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    expect((await client.request({ type: "publish", channel: "c", data: 2 })).type).toBe("ack");
    expect(await client.request({ type: "publish", channel: "c", data: 3 })).toMatchObject({ type: "error", code: ErrorCode.OverMessageQuota });
    expect(await client.request({ type: "send", to: "nobody", data: 3 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    // Subscribe and ping are not counted and keep working; delivery to the over-quota app's receivers continues.
    expect((await client.request({ type: "subscribe", channel: "c" })).type).toBe("ack");
    client.send({ type: "ping" });
    await client.waitFor((f) => f.type === "pong");
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    await relay.flushUsage();
    // Refused publish/send are soft drops only; messagesUsed counts the two accepted (PROTOCOL §6).
    expect(controlPlane.applied(app.appId)).toMatchObject({ messagesAccepted: 2, softDrops: 2, overageMessages: 0 });
  });

  it("a plan without overages refuses even when the customer enabled them", async () => {
    const app = await addApp({ limits: { maxMessagesPerPeriod: 0 }, billing: { overagesAllowed: false, overagesEnabled: true, balanceMinor: 1000 } });
    const client = await connect(app);
    expect(await client.request({ type: "publish", channel: "c", data: 1 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
  });

  it("overages on with balance: allowed and billed as overage until the balance is used up", async () => {
    // 1,000 messages cost 1000 minor units → 1 per message; a balance of 2 covers two overage messages.
    const app = await addApp({
      limits: { maxMessagesPerPeriod: 1 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 2, overagePricePer1000MessagesMinor: 1000 },
    });
    const client = await connect(app);
    for (let i = 0; i < 3; i++) expect((await client.request({ type: "publish", channel: "c", data: i })).type).toBe("ack");
    expect(await client.request({ type: "publish", channel: "c", data: 4 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    await relay.flushUsage();
    expect(controlPlane.applied(app.appId)).toMatchObject({ messagesAccepted: 3, overageMessages: 2, softDrops: 1 });
  });

  it("balance exhausted, auto-recharge off: over_message_quota without asking for a recharge", async () => {
    const app = await addApp({ limits: { maxMessagesPerPeriod: 0 }, billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0 } });
    const client = await connect(app);
    expect(await client.request({ type: "publish", channel: "c", data: 1 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === app.appId)).toHaveLength(0);
  });

  it("balance exhausted, auto-recharge on: allowed after a successful recharge, refused after a failed one", async () => {
    const app = await addApp({
      limits: { maxMessagesPerPeriod: 0 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0, autoRechargeEnabled: true },
    });
    const client = await connect(app);
    controlPlane.recharge = { recharged: true, balanceMinor: 5000, delayMs: 30 };
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === app.appId)).toEqual([{ appId: app.appId, reason: "message" }]);

    const declined = await addApp({
      limits: { maxMessagesPerPeriod: 0 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0, autoRechargeEnabled: true },
    });
    const declinedClient = await connect(declined);
    controlPlane.recharge = { recharged: false, balanceMinor: 0 };
    expect(await declinedClient.request({ type: "publish", channel: "c", data: 1 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === declined.appId)).toHaveLength(1);
  });

  it("a recharge that outlasts the bounded wait counts as failed", async () => {
    const app = await addApp({
      limits: { maxMessagesPerPeriod: 0 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0, autoRechargeEnabled: true },
    });
    const client = await connect(app);
    controlPlane.recharge = { recharged: true, balanceMinor: 5000, delayMs: 1_500 };
    const started = Date.now();
    expect(await client.request({ type: "publish", channel: "c", data: 1 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    expect(Date.now() - started).toBeLessThan(1_450);
  });

  it("unlimited plans (null caps) never refuse", async () => {
    const app = await addApp({ limits: { maxMessagesPerPeriod: null, maxConcurrentConnections: null } });
    const clients = await Promise.all([connect(app), connect(app), connect(app)]);
    for (const client of clients) expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
  });

  it("pay-as-you-go past its free allowance: usage needs a positive balance or a successful recharge", async () => {
    const payg = { limits: { maxMessagesPerPeriod: null, maxConcurrentConnections: null } };
    const withinAllowance = await addApp({ ...payg, billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0 } });
    expect((await (await connect(withinAllowance)).request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");

    const billed = { overagesAllowed: true, overagesEnabled: true, usageBilledFromBalance: true };
    const funded = await addApp({ ...payg, billing: { ...billed, balanceMinor: 50 } });
    expect((await (await connect(funded)).request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");

    const empty = await addApp({ ...payg, billing: { ...billed, balanceMinor: 0 } });
    expect(await expectRefused(await tokenUrl(empty))).toBe(CloseCode.OverConcurrentLimit);
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === empty.appId)).toHaveLength(0);

    const recharging = await addApp({ ...payg, billing: { ...billed, balanceMinor: 0, autoRechargeEnabled: true } });
    controlPlane.recharge = { recharged: true, balanceMinor: 2000 };
    const client = await connect(recharging);
    expect((await client.request({ type: "publish", channel: "c", data: 1 })).type).toBe("ack");
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === recharging.appId)).toEqual([{ appId: recharging.appId, reason: "connection" }]);
    // The balance ran out again (a usage acknowledgement says so) and the card now declines.
    controlPlane.recharge = { recharged: false, balanceMinor: 0 };
    controlPlane.update(recharging.appId, (a) => {
      a.billing.balanceMinor = 0;
    });
    await relay.refreshNow();
    expect(await client.request({ type: "publish", channel: "c", data: 2 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
    await relay.flushUsage();
    expect(controlPlane.applied(recharging.appId)).toMatchObject({ messagesAccepted: 1, overageMessages: 0, softDrops: 1 });
  });

  it("REST publishes count as one message each and report the drop", async () => {
    const app = await addApp({ limits: { maxMessagesPerPeriod: 1 } });
    const subscriber = await connect(app);
    await subscriber.request({ type: "subscribe", channel: "rest/room" });
    const publish = () =>
      fetch(relay.httpUrl + RelayInternalPath.publish(app.appId, "rest/room"), {
        method: "POST",
        headers: { ...internalHeaders(), "content-type": "application/json" },
        body: JSON.stringify({ data: { hello: 1 }, from: "backend" }),
      }).then((r) => r.json());
    expect(await publish()).toEqual({ channel: "rest/room", delivered: 1 });
    expect(await subscriber.waitFor((f) => f.type === "message")).toEqual({ type: "message", channel: "rest/room", from: "backend", data: { hello: 1 } });
    expect(await publish()).toEqual({ channel: "rest/room", delivered: 0, dropped: "over_message_quota" });
    expect(await subscriber.request({ type: "publish", channel: "x", data: 1 })).toMatchObject({ code: ErrorCode.OverMessageQuota });
  });
});

describe("concurrency gate", () => {
  it("over the cap with overages off: 4010; a freed slot admits again", async () => {
    const app = await addApp({ limits: { maxConcurrentConnections: 2 } });
    const first = await connect(app);
    await connect(app);
    expect(await expectRefused(await tokenUrl(app))).toBe(CloseCode.OverConcurrentLimit);
    first.close();
    await first.closed;
    await eventually(async () => {
      const stats = relayStatsResponseSchema.parse(await fetch(relay.httpUrl + RelayInternalPath.stats(app.appId), { headers: internalHeaders() }).then((r) => r.json()));
      expect(stats.concurrentNow).toBe(1);
    });
    await connect(app);
  });

  it("overages on with balance: admitted as overage connections and billed", async () => {
    const app = await addApp({
      limits: { maxConcurrentConnections: 1 },
      billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: 20, overagePricePerConnectionMinor: 10 },
    });
    await connect(app);
    await connect(app);
    await connect(app);
    expect(await expectRefused(await tokenUrl(app))).toBe(CloseCode.OverConcurrentLimit);
    await relay.flushUsage();
    expect(controlPlane.applied(app.appId).overageConnections).toBe(2);
  });

  it("balance exhausted: 4010 with auto-recharge off or declined; admitted after a successful recharge", async () => {
    const billing = { overagesAllowed: true, overagesEnabled: true, balanceMinor: 0, overagePricePerConnectionMinor: 10 };
    const noRecharge = await addApp({ limits: { maxConcurrentConnections: 0 }, billing });
    expect(await expectRefused(await tokenUrl(noRecharge))).toBe(CloseCode.OverConcurrentLimit);

    const recharging = await addApp({ limits: { maxConcurrentConnections: 0 }, billing: { ...billing, autoRechargeEnabled: true } });
    controlPlane.recharge = { recharged: false, balanceMinor: 0 };
    expect(await expectRefused(await tokenUrl(recharging))).toBe(CloseCode.OverConcurrentLimit);
    await sleep(250);
    controlPlane.recharge = { recharged: true, balanceMinor: 1000 };
    await connect(recharging);
    expect(controlPlane.rechargeRequests.filter((r) => r.appId === recharging.appId).map((r) => r.reason)).toEqual(["connection", "connection"]);
  });

  it("a suspended app is refused with 4012", async () => {
    const app = await addApp({ status: "suspended" });
    expect(await expectRefused(await tokenUrl(app))).toBe(CloseCode.AppSuspended);
    expect(await expectRefused(`${relay.url}/v1?key=${firstPublishableKey(app).keyId}`)).toBe(CloseCode.AppSuspended);
  });
});

describe("token bucket", () => {
  it("allows a burst of exactly 200 publish/send and closes the 201st with 4011; other frames cost nothing", async () => {
    // A negligible refill makes the boundary exact regardless of how fast the test runs.
    const app = await addApp({ limits: { tokenBucketRefillPerSecond: 0.001, tokenBucketBurst: PlanDefaults.tokenBucketBurst } });
    const client = await connect(app);
    for (let i = 0; i < 50; i++) client.send({ type: "subscribe", channel: `free/${i % 5}` });
    for (let i = 0; i < 50; i++) client.send({ type: "ping" });
    for (let i = 0; i < PlanDefaults.tokenBucketBurst; i++) {
      client.send(i % 2 === 0 ? { type: "publish", channel: "c", data: i, requestId: `p${i}` } : { type: "send", to: "nobody", data: i, requestId: `p${i}` });
    }
    await client.waitFor((f) => f.requestId === `p${PlanDefaults.tokenBucketBurst - 1}`);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.send({ type: "publish", channel: "c", data: "one too many" });
    expect(await client.closeCodeWithin()).toBe(CloseCode.OverMessageRate);
  });

  it("runs the checks in ARCHITECTURE §5's order: a malformed publish/send costs no token, a refused well-formed one costs one", async () => {
    const app = await addApp({ limits: { tokenBucketRefillPerSecond: 0.001, tokenBucketBurst: 2 } });
    const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { claims: { channels: ["allowed/*"] } })}`);
    openClients.push(client);
    // Shape first: none of these reaches the token bucket.
    for (let i = 0; i < 5; i++) {
      expect(await client.request({ type: "publish", channel: "allowed/a" })).toMatchObject({ code: ErrorCode.MissingData });
      expect(await client.request({ type: "send", to: "bob" })).toMatchObject({ code: ErrorCode.MissingData });
      expect(await client.request({ type: "send", to: "", data: 1 })).toMatchObject({ code: ErrorCode.InvalidPeerId });
    }
    // The bucket comes before the channel rules: a forbidden channel costs the first token …
    expect(await client.request({ type: "publish", channel: "secret/a", data: 1 })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    // … an accepted publish the second, and the third publish finds the bucket empty.
    expect(await client.request({ type: "publish", channel: "allowed/a", data: 1 })).toMatchObject({ type: "ack" });
    client.send({ type: "publish", channel: "allowed/a", data: 2 });
    expect(await client.closeCodeWithin()).toBe(CloseCode.OverMessageRate);
  });

  it("refills at the plan's rate", async () => {
    const app = await addApp({ limits: { tokenBucketRefillPerSecond: 50, tokenBucketBurst: 2 } });
    const client = await connect(app);
    await client.request({ type: "publish", channel: "c", data: 1 });
    await client.request({ type: "publish", channel: "c", data: 2 });
    await sleep(60);
    expect((await client.request({ type: "publish", channel: "c", data: 3 })).type).toBe("ack");
  });
});

describe("per-IP connect limit", () => {
  it("allows 60 attempts per window from one IP and answers the 61st with HTTP 429 before the handshake", async () => {
    const limited = await startTestRelay(controlPlane, { connectRatePerIp: PlanDefaults.connectAttemptsPerIpPerMinute });
    extraRelays.push(limited);
    const statuses: number[] = [];
    for (let i = 0; i < PlanDefaults.connectAttemptsPerIpPerMinute + 1; i++) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${limited.url}/v1`);
        ws.on("unexpected-response", (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on("close", (code: number) => resolve(code));
        ws.on("error", () => undefined);
      });
      statuses.push(status);
    }
    expect(statuses.slice(0, PlanDefaults.connectAttemptsPerIpPerMinute).every((s) => s === CloseCode.InvalidToken)).toBe(true);
    expect(statuses[PlanDefaults.connectAttemptsPerIpPerMinute]).toBe(429);
  });

  it("uses the app's connectAttemptsPerIpPerMinute for a known key and X-Forwarded-For only from trusted proxies", async () => {
    const proxied = await startTestRelay(controlPlane, { connectRatePerIp: 1_000, trustedProxies: ["127.0.0.1"] });
    extraRelays.push(proxied);
    const app = await addApp({ limits: { connectAttemptsPerIpPerMinute: 2 } }, proxied);
    const attempt = (ip: string) =>
      new Promise<number>((resolve) => {
        void tokenUrl(app, proxied).then((url) => {
          const ws = new WebSocket(url, { headers: { "x-forwarded-for": `10.9.9.9, ${ip}` } });
          ws.on("unexpected-response", (_req, res) => {
            resolve(res.statusCode ?? 0);
            ws.terminate();
          });
          ws.on("message", () => {
            resolve(200);
            ws.close();
          });
          ws.on("error", () => undefined);
        });
      });
    expect(await attempt("10.0.0.1")).toBe(200);
    expect(await attempt("10.0.0.1")).toBe(200);
    expect(await attempt("10.0.0.1")).toBe(429);
    // A different client IP behind the same trusted proxy has its own budget.
    expect(await attempt("10.0.0.2")).toBe(200);
    // IPv6: one host or network holds a whole /64, so its addresses share one budget.
    expect(await attempt("2001:db8:7:1::a")).toBe(200);
    expect(await attempt("2001:db8:7:1:ffff:1:2:3")).toBe(200);
    expect(await attempt("2001:0db8:0007:0001::b")).toBe(429);
    expect(await attempt("2001:db8:7:2::a")).toBe(200);
  });
});

describe("live connections and snapshot changes", () => {
  it("closes connections of a revoked key with 4001 and of a suspended app with 4012 on the next snapshot", async () => {
    const app = await addApp();
    const otherKeyClient = await TestClient.connect(relay, `key=${firstPublishableKey(app).keyId}`);
    openClients.push(otherKeyClient);
    const revokedClient = await connect(app);
    controlPlane.update(app.appId, (a) => {
      const key = a.keys.find((k) => k.kind === "secret");
      if (key) key.revoked = true;
    });
    await relay.refreshNow();
    expect(await revokedClient.closeCodeWithin()).toBe(CloseCode.InvalidToken);
    expect(otherKeyClient.ws.readyState).toBe(WebSocket.OPEN);
    controlPlane.update(app.appId, (a) => {
      a.status = "suspended";
    });
    await relay.refreshNow();
    expect(await otherKeyClient.closeCodeWithin()).toBe(CloseCode.AppSuspended);
  });

  it("closes connections of a rolled key with 4001 once its grace period ends, without a snapshot change", async () => {
    const ticking = await startTestRelay(controlPlane, { planCacheRefreshMs: 100 });
    extraRelays.push(ticking);
    const app = await addApp({}, ticking);
    const key = app.keys.find((k) => k.kind === "secret");
    if (!key) throw new Error("no secret key");
    key.expiresAtUnix = Math.floor(Date.now() / 1000) + 2;
    controlPlane.version += 1;
    await ticking.refreshNow();
    const client = await connect(app, ticking);
    const started = Date.now();
    expect(await client.closeCodeWithin(4_000)).toBe(CloseCode.InvalidToken);
    expect(Date.now() - started).toBeGreaterThan(500);
  });

  it("closes them when the grace period ends, not at the next poll (60 s here)", async () => {
    const app = await addApp();
    const key = firstSecretKey(app);
    key.expiresAtUnix = Math.floor(Date.now() / 1000) + 2;
    controlPlane.version += 1;
    await relay.refreshNow();
    const client = await connect(app);
    expect(await client.closeCodeWithin(5_000)).toBe(CloseCode.InvalidToken);
    const closedAfterExpiryMs = Date.now() - key.expiresAtUnix * 1000;
    expect(closedAfterExpiryMs).toBeGreaterThanOrEqual(0);
    expect(closedAfterExpiryMs).toBeLessThan(1_000);
  });

  it("applies a key's changed actions and channel patterns to live connections", async () => {
    const app = await addApp();
    const client = await connect(app);
    expect((await client.request({ type: "publish", channel: "open/1", data: 1 })).type).toBe("ack");
    controlPlane.update(app.appId, (a) => {
      const key = a.keys.find((k) => k.kind === "secret");
      if (!key) return;
      key.actions = ["subscribe"];
      key.channelPatterns = ["open/*"];
    });
    await relay.refreshNow();
    expect(await client.request({ type: "publish", channel: "open/1", data: 1 })).toMatchObject({ code: ErrorCode.ActionNotPermitted });
    expect(await client.request({ type: "subscribe", channel: "closed/1" })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    expect((await client.request({ type: "subscribe", channel: "open/2" })).type).toBe("ack");
  });

  it("a plan downgrade never drops live connections", async () => {
    const app = await addApp({ limits: { maxConcurrentConnections: 5 } });
    const clients = await Promise.all([connect(app), connect(app), connect(app)]);
    controlPlane.update(app.appId, (a) => {
      a.limits.maxConcurrentConnections = 1;
    });
    await relay.refreshNow();
    await sleep(50);
    expect(clients.every((c) => c.ws.readyState === WebSocket.OPEN)).toBe(true);
    expect(await expectRefused(await tokenUrl(app))).toBe(CloseCode.OverConcurrentLimit);
  });

  it("DELETE peer closes every connection of the peer with 4020 and reports the count (0 when offline)", async () => {
    const app = await addApp();
    const a = await connect(app, relay, "target");
    const b = await connect(app, relay, "target");
    const bystander = await connect(app, relay, "bystander");
    const disconnect = (peerId: string) => fetch(relay.httpUrl + RelayInternalPath.disconnectPeer(app.appId, peerId), { method: "DELETE", headers: internalHeaders() }).then((r) => r.json());
    expect(await disconnect("target")).toEqual({ peerId: "target", closed: 2 });
    expect(await a.closeCodeWithin()).toBe(CloseCode.AdminDisconnect);
    expect(await b.closeCodeWithin()).toBe(CloseCode.AdminDisconnect);
    expect(await disconnect("nobody")).toEqual({ peerId: "nobody", closed: 0 });
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("slow consumers, keepalive and shutdown", () => {
  it("closes a consumer whose send buffer passes its cap with 1008 slow_consumer", async () => {
    const small = await startTestRelay(controlPlane, { sendBufferLimitBytes: 64 * 1024 });
    extraRelays.push(small);
    const app = await addApp({ limits: { tokenBucketBurst: 10_000 } }, small);
    const slow = await connect(app, small, "slow");
    await slow.request({ type: "subscribe", channel: "firehose" });
    const fast = await connect(app, small, "fast");
    // Stop reading: the relay's writes back up into its send buffer.
    const rawSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    rawSocket.pause();
    const payload = "x".repeat(60 * 1024);
    for (let i = 0; i < 300 && slow.closeCode === null; i++) {
      fast.send({ type: "publish", channel: "firehose", data: payload });
      if (i % 20 === 19) await sleep(5);
    }
    await sleep(100);
    rawSocket.resume();
    const { code, reason } = await slow.closed;
    expect(code).toBe(CloseCode.PolicyViolation);
    expect(reason).toBe("slow_consumer");
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("pings every interval and terminates a socket that does not answer", async () => {
    const pinging = await startTestRelay(controlPlane, { timing: { serverPingIntervalMs: 100, pongTimeoutMs: 100 } });
    extraRelays.push(pinging);
    const app = await addApp({}, pinging);
    const token = await mintToken(firstSecretKey(app));
    const deaf = new TestClient(`${pinging.url}/v1?token=${token}`, { autoPong: false });
    const healthy = await TestClient.connect(pinging, `token=${await mintToken(firstSecretKey(app))}`);
    openClients.push(deaf, healthy);
    let pings = 0;
    healthy.ws.on("ping", () => (pings += 1));
    expect(await deaf.closeCodeWithin(2_000)).toBe(1006);
    await eventually(() => expect(pings).toBeGreaterThanOrEqual(2));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("sends going_away then closes with 1001 on shutdown, and flushes usage", async () => {
    const stopping = await startTestRelay(controlPlane, { timing: { goingAwayRetryAfterMs: 1234 } });
    const app = await addApp({}, stopping);
    const client = await connect(app, stopping);
    await client.request({ type: "publish", channel: "c", data: 1 });
    await stopping.close();
    expect(await client.waitFor((f) => f.type === "going_away")).toEqual({ type: "going_away", retryAfterMs: 1234 });
    expect(await client.closeCodeWithin()).toBe(CloseCode.GoingAway);
    expect(controlPlane.applied(app.appId).messagesAccepted).toBe(1);
  });
});

describe("backend faults", () => {
  it("answers backend_error when routing a direct send fails and internal_error on an unexpected fault", async () => {
    const state = createMemoryState();
    state.bus.sendDirect = () => Promise.reject(new Error("bus down"));
    state.presence.join = () => Promise.reject(new Error("presence exploded"));
    const faulty = await startTestRelay(controlPlane, {}, { state });
    extraRelays.push(faulty);
    const app = await addApp({}, faulty);
    const client = await connect(app, faulty);
    expect(await client.request({ type: "send", to: "bob", data: 1 })).toMatchObject({ code: ErrorCode.BackendError });
    expect(await client.request({ type: "subscribe", channel: "c" })).toMatchObject({ code: ErrorCode.InternalError });
    client.send({ type: "ping" });
    await client.waitFor((f) => f.type === "pong");
  });
});
