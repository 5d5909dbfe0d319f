// The frame budget (PROTOCOL §8): every inbound frame has a price. Control frames (ping, subscribe,
// unsubscribe, malformed, unknown, binary) pay the control bucket, every frame pays its bytes; over
// budget a frame is dropped with `rate_limited` and the connection stays, and a connection that floods
// on regardless is closed 4011. Publish and send keep the message bucket and the quota unchanged.
import { describe, expect, it } from "vitest";
import { CloseCode, ErrorCode, FrameBudgetRules, PlanDefaults } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstPublishableKey, firstSecretKey, mintToken, sleep } from "./helpers";
import type { Frame } from "./helpers";
import { relayPerFile } from "./relay-per-file";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const openClients = relayPerFile((running) => ({ controlPlane, relay } = running));

async function addApp(limits: Partial<SnapshotApp["limits"]> = {}): Promise<SnapshotApp> {
  const app = appFixture({ limits });
  controlPlane.setApps([...controlPlane.apps, app]);
  await relay.refreshNow();
  return app;
}

async function connectPublishable(app: SnapshotApp): Promise<TestClient> {
  const client = await TestClient.connect(relay, `key=${firstPublishableKey(app).keyId}`);
  openClients.push(client);
  return client;
}

async function connectToken(app: SnapshotApp, sub: string): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub })}`);
  openClients.push(client);
  return client;
}

const isRateLimited = (frame: Frame) => frame.type === "error" && frame.code === ErrorCode.RateLimited;

/** Waits until the client has `count` frames matching `predicate`, then a little longer to catch extras. */
async function settle(client: TestClient, predicate: (frame: Frame) => boolean, count: number): Promise<number> {
  await eventually(() => expect(client.frames.filter(predicate).length).toBeGreaterThanOrEqual(count), 5_000);
  await sleep(100);
  return client.frames.filter(predicate).length;
}

describe("control frames", () => {
  it("answers a ping burst up to the control burst, drops the rest with rate_limited, and keeps the connection", async () => {
    const client = await connectPublishable(await addApp());
    const burst = PlanDefaults.controlFrameBurst;
    for (let i = 0; i < burst + 50; i++) client.send({ type: "ping", requestId: `p${i}` });
    await settle(client, (f) => f.type === "pong" || isRateLimited(f), burst + 50);
    const refused = client.frames.filter(isRateLimited).length;
    const pongs = client.framesOf("pong").length;
    // The bucket refills at 50/s while the frames arrive, so a few more than the burst may pass.
    expect(pongs).toBeGreaterThanOrEqual(burst);
    expect(pongs + refused).toBe(burst + 50);
    expect(refused).toBeGreaterThanOrEqual(40);
    // The refusal is correlated, and the connection still works once the bucket refilled.
    expect(client.frames.find(isRateLimited)?.requestId).toMatch(/^p\d+$/);
    await sleep(200);
    client.frames.length = 0;
    client.send({ type: "ping" });
    await client.waitFor((f) => f.type === "pong");
    expect(client.closeCode).toBeNull();
  });

  it("closes a connection that keeps flooding after rate_limited with 4011 frame_flood", async () => {
    const client = await connectPublishable(await addApp());
    const floodAfter = PlanDefaults.controlFrameBurst * (1 + FrameBudgetRules.floodRefusalsPerBurst);
    for (let i = 0; i < floodAfter + 500; i++) client.send('{"type":"ping"}');
    const { code, reason } = await client.closed;
    expect(code).toBe(CloseCode.OverMessageRate);
    expect(reason).toBe("frame_flood");
    // Roughly the burst answered, three bursts refused, nothing handled after the close.
    expect(client.framesOf("pong").length).toBeLessThan(PlanDefaults.controlFrameBurst + 30);
    expect(client.frames.filter(isRateLimited).length).toBeLessThanOrEqual(PlanDefaults.controlFrameBurst * FrameBudgetRules.floodRefusalsPerBurst);
  });

  it("prices malformed, unknown and binary frames like control frames", async () => {
    const client = await connectPublishable(await addApp());
    const burst = PlanDefaults.controlFrameBurst;
    for (let i = 0; i < burst / 2; i++) client.send("not json");
    for (let i = 0; i < burst / 2; i++) client.send({ type: "teleport" });
    for (let i = 0; i < 30; i++) client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await settle(client, (f) => f.type === "error", burst + 30);
    const refused = client.frames.filter(isRateLimited).length;
    const answered = client.frames.filter((f) => f.type === "error" && (f.code === ErrorCode.MalformedMessage || f.code === ErrorCode.UnknownType)).length;
    expect(answered + refused).toBe(burst + 30);
    expect(answered).toBeLessThan(burst + 10);
    expect(client.closeCode).toBeNull();
  });

  it("bounds presence churn: subscribe/unsubscribe pairs reach watchers at the control rate, then the churner is closed", async () => {
    const app = await addApp();
    const watchers = await Promise.all(Array.from({ length: 5 }, (_, i) => connectToken(app, `watcher-${i}`)));
    await Promise.all(watchers.map((watcher) => watcher.request({ type: "subscribe", channel: "lobby" })));
    const churner = await connectPublishable(app);
    for (let i = 0; i < 1_500; i++) {
      churner.send({ type: "subscribe", channel: "lobby" });
      churner.send({ type: "unsubscribe", channel: "lobby" });
    }
    expect((await churner.closed).code).toBe(CloseCode.OverMessageRate);
    await sleep(200);
    // Before: 3,000 presence frames per watcher. Now each join and leave the budget let through, ~the burst.
    for (const watcher of watchers) {
      const churnFrames = watcher.framesOf("presence").filter((f) => f.channel === "lobby").length;
      expect(churnFrames).toBeLessThanOrEqual(PlanDefaults.controlFrameBurst + 20);
      expect(watcher.closeCode).toBeNull();
    }
  });
});

describe("publish and send", () => {
  it("do not spend the control bucket: a publish burst within the message bucket is all accepted", async () => {
    const app = await addApp();
    const publisher = await connectToken(app, "publisher");
    const count = PlanDefaults.controlFrameBurst + 50;
    for (let i = 0; i < count; i++) publisher.send({ type: "publish", channel: "news", data: i, requestId: `m${i}` });
    expect(await settle(publisher, (f) => f.type === "ack", count)).toBe(count);
    expect(publisher.frames.filter(isRateLimited)).toHaveLength(0);
  });
});

describe("bytes", () => {
  it("drops frames past the byte budget with rate_limited, before decoding them", async () => {
    // 16 KB/s: a 64 KB burst.
    const app = await addApp({ inboundBytesPerSecond: 16 * 1024 });
    const publisher = await connectToken(app, "big-publisher");
    const payload = "x".repeat(30 * 1024);
    for (let i = 0; i < 3; i++) publisher.send({ type: "publish", channel: "news", data: payload, requestId: `b${i}` });
    await settle(publisher, (f) => f.type === "ack" || f.type === "error", 3);
    expect(publisher.framesOf("ack").map((f) => f.requestId)).toEqual(["b0", "b1"]);
    // The dropped frame was never parsed, so its refusal cannot name its requestId.
    const refusal = publisher.frames.find(isRateLimited);
    expect(refusal).toBeDefined();
    expect(refusal?.requestId).toBeUndefined();
    expect(publisher.closeCode).toBeNull();
  });
});

describe("plan-tunable", () => {
  it("follows the app's current limits, also for connections already open", async () => {
    const app = await addApp({ controlFrameBurst: 5, controlFrameRefillPerSecond: 1 });
    const client = await connectPublishable(app);
    for (let i = 0; i < 8; i++) client.send({ type: "ping" });
    expect(await settle(client, (f) => f.type === "pong" || isRateLimited(f), 8)).toBe(8);
    expect(client.framesOf("pong")).toHaveLength(5);

    controlPlane.setApps(controlPlane.apps.map((a) => (a.appId === app.appId ? { ...a, limits: { ...a.limits, controlFrameBurst: 400, controlFrameRefillPerSecond: 400 } } : a)));
    await relay.refreshNow();
    await sleep(300);
    client.frames.length = 0;
    for (let i = 0; i < 100; i++) client.send({ type: "ping" });
    expect(await settle(client, (f) => f.type === "pong" || isRateLimited(f), 100)).toBe(100);
    expect(client.framesOf("pong")).toHaveLength(100);
  });
});
