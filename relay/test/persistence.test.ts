// Plan cache and metering across outages and restarts: change-feed polling, enforcing the held app
// states when the control plane is down (also after a restart, from the disk copy), quotas that survive
// restarts, usage batches retried with the same id, persisted on shutdown and resent on start.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloseCode, ErrorCode, KeyPrefix } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, mintToken, removeTempDirs, sleep, startTestRelay, tempDataDir } from "./helpers";

let controlPlane: FakeControlPlane;
const relays: RelayHandle[] = [];

async function start(overrides: Parameters<typeof startTestRelay>[1] = {}): Promise<RelayHandle> {
  const relay = await startTestRelay(controlPlane, overrides);
  relays.push(relay);
  return relay;
}

async function connect(relay: RelayHandle, app: SnapshotApp, sub?: string): Promise<TestClient> {
  return TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), sub ? { sub } : {})}`);
}

async function publishOutcomes(client: TestClient, count: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await client.request({ type: "publish", channel: "q", data: i });
    outcomes.push(answer.type === "ack" ? "ack" : String(answer.code));
  }
  return outcomes;
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
});

beforeEach(() => {
  controlPlane.down = false;
  controlPlane.usageStatus = 200;
});

afterAll(async () => {
  controlPlane.down = false;
  await Promise.all(relays.map((r) => r.close()));
  await controlPlane.stop();
  await removeTempDirs();
});

describe("plan cache", () => {
  it("polls the change feed and asks for no app state while nothing changed", async () => {
    const app = appFixture();
    controlPlane.setApps([...controlPlane.apps, app]);
    const relay = await start({ planCacheRefreshMs: 100 });
    const client = await connect(relay, app);
    const polls = controlPlane.feedPolls;
    const states = controlPlane.appStateRequests;
    await sleep(350);
    expect(controlPlane.feedPolls - polls).toBeGreaterThanOrEqual(2);
    expect(controlPlane.appStateRequests - states).toBe(0);
    expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(200);
    client.close();
  });

  it("keeps enforcing what it holds while the control plane is unreachable", async () => {
    const app = appFixture({ limits: { maxMessagesPerPeriod: 2, maxConcurrentConnections: 1 } });
    controlPlane.setApps([...controlPlane.apps, app]);
    const relay = await start();
    const client = await connect(relay, app);
    controlPlane.down = true;
    expect(await relay.refreshNow()).toBe(false);
    expect(await publishOutcomes(client, 3)).toEqual(["ack", "ack", ErrorCode.OverMessageQuota]);
    const refused = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app))}`);
    expect(await refused.closeCodeWithin()).toBe(4010);
    expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(200);
    client.close();
  });

  it("a restart during an outage enforces the copy on disk of the apps it held", async () => {
    const app = appFixture({ limits: { maxMessagesPerPeriod: 1 } });
    controlPlane.setApps([...controlPlane.apps, app]);
    const dataDir = await tempDataDir();
    const first = await start({ dataDir });
    (await connect(first, app)).close();
    await first.close();
    controlPlane.down = true;
    const second = await start({ dataDir });
    expect((await fetch(`${second.httpUrl}/readyz`)).status).toBe(200);
    const client = await connect(second, app);
    expect(await publishOutcomes(client, 2)).toEqual(["ack", ErrorCode.OverMessageQuota]);
    client.close();
  });

  it("the copy on disk is sealed: no signing secret in clear, mode 0600, and another RELAY_SECRET cannot use it", async () => {
    const app = appFixture({ limits: { maxMessagesPerPeriod: 1 } });
    controlPlane.setApps([...controlPlane.apps, app]);
    // A directory the relay creates itself, so its mode is the relay's doing rather than mkdtemp's.
    const dataDir = path.join(await tempDataDir(), "relay");
    const first = await start({ dataDir });
    (await connect(first, app)).close();
    await first.close();
    const file = path.join(dataDir, "app-states.json");
    const text = await readFile(file, "utf8");
    expect(text).not.toContain(firstSecretKey(app).signingSecret);
    expect(text).not.toContain(KeyPrefix.secretKeySecret);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

    controlPlane.down = true;
    const otherSecret = await start({ dataDir, relaySecret: "another-relay-secret-of-at-least-32-chars" });
    expect((await fetch(`${otherSecret.httpUrl}/readyz`)).status).toBe(503);
  });

  it("started during an outage with nothing on disk, the relay is not ready and refuses an app it cannot look up with 1013, not 4001; it is ready moments after the control plane answers", async () => {
    controlPlane.down = true;
    const relay = await start();
    expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
    const app = appFixture();
    const client = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app))}`);
    expect(await client.closeCodeWithin()).toBe(CloseCode.TryAgainLater);
    const malformed = new TestClient(`${relay.url}/v1?key=not-a-key`);
    expect(await malformed.closeCodeWithin()).toBe(CloseCode.InvalidToken);
    // The control plane comes up: the relay is ready within seconds, not at its next regular poll (60 s here).
    controlPlane.down = false;
    await eventually(async () => expect((await fetch(`${relay.httpUrl}/readyz`)).status).toBe(200), 8_000);
  });
});

describe("quotas across restarts", () => {
  it("starts the period counter from the snapshot baseline, so a restart never resets the quota", async () => {
    const app = appFixture({ limits: { maxMessagesPerPeriod: 5 }, usage: { messagesUsed: 1 } });
    controlPlane.setApps([...controlPlane.apps, app]);
    const first = await start();
    const client = await connect(first, app);
    expect(await publishOutcomes(client, 2)).toEqual(["ack", "ack"]);
    await first.close();
    const second = await start();
    const again = await connect(second, app);
    expect(await publishOutcomes(again, 3)).toEqual(["ack", "ack", ErrorCode.OverMessageQuota]);
    again.close();
  });

  it("usage not yet acknowledged is persisted on shutdown, still counted after a restart, and resent", async () => {
    const app = appFixture({ limits: { maxMessagesPerPeriod: 3 } });
    controlPlane.setApps([...controlPlane.apps, app]);
    const dataDir = await tempDataDir();
    const first = await start({ dataDir });
    const client = await connect(first, app);
    expect(await publishOutcomes(client, 2)).toEqual(["ack", "ack"]);
    controlPlane.down = true;
    await first.close();
    expect(controlPlane.applied(app.appId).messagesAccepted).toBe(0);

    const second = await start({ dataDir });
    const again = await connect(second, app);
    expect(await publishOutcomes(again, 2)).toEqual(["ack", ErrorCode.OverMessageQuota]);
    controlPlane.down = false;
    await second.flushUsage();
    expect(controlPlane.applied(app.appId).messagesAccepted).toBe(3);
    again.close();
  });
});

describe("usage batches", () => {
  it("retries a refused batch with the same id until acknowledged, and applies it once", async () => {
    const app = appFixture();
    controlPlane.setApps([...controlPlane.apps, app]);
    const relay = await start();
    const client = await connect(relay, app);
    await publishOutcomes(client, 1);
    controlPlane.usageStatus = 503;
    const attemptsBefore = controlPlane.attemptedBatchIds.length;
    await relay.flushUsage();
    await relay.flushUsage();
    controlPlane.usageStatus = 200;
    await relay.flushUsage();
    const attempts = controlPlane.attemptedBatchIds.slice(attemptsBefore);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(attempts.slice(0, 3)).size).toBe(1);
    expect(controlPlane.applied(app.appId).messagesAccepted).toBe(1);
    client.close();
  });

  it("meters attempts, deliveries, egress blocks, connection-minutes, peak, closes, per key and per minute", async () => {
    const app = appFixture();
    controlPlane.setApps([...controlPlane.apps, app]);
    const relay = await start();
    const subscribers = await Promise.all([connect(relay, app, "s1"), connect(relay, app, "s2")]);
    for (const s of subscribers) await s.request({ type: "subscribe", channel: "m" });
    const publisher = await connect(relay, app, "pub");
    const data = "x".repeat(5000);
    await publisher.request({ type: "publish", channel: "m", data });
    await Promise.all(subscribers.map((s) => s.waitFor((f) => f.type === "message")));
    subscribers[0]?.close();
    await subscribers[0]?.closed;
    await sleep(30);
    await relay.flushUsage();
    const deltas = controlPlane.batches.flatMap((b) => b.apps).filter((a) => a.appId === app.appId);
    const sum = (pick: (d: (typeof deltas)[number]) => number) => deltas.reduce((total, d) => total + pick(d), 0);
    const frameBytes = Buffer.byteLength(JSON.stringify({ type: "message", channel: "m", from: "pub", data }));
    expect(sum((d) => d.messagesAccepted)).toBe(1);
    expect(sum((d) => d.deliveredMessages)).toBe(2);
    expect(sum((d) => d.egressBytes)).toBe(2 * frameBytes);
    expect(sum((d) => d.egressBlocks)).toBe(4);
    expect(sum((d) => d.connectionMinutes)).toBe(3);
    expect(Math.max(...deltas.map((d) => d.peakConcurrent))).toBe(3);
    expect(deltas.some((d) => (d.closesByCode["1000"] ?? 0) + (d.closesByCode["1005"] ?? 0) >= 1)).toBe(true);
    expect(deltas[0]?.byKey[firstSecretKey(app).keyId]).toEqual({ messages: 1, connections: 3 });
    const samples = deltas.flatMap((d) => d.samples);
    expect(samples.reduce((t, s) => t + s.delivered, 0)).toBe(2);
    expect(samples.every((s) => s.minuteUnix % 60 === 0)).toBe(true);
    for (const c of [...subscribers, publisher]) c.close();
  });

  it("flushes on its own every USAGE_FLUSH_MS", async () => {
    const app = appFixture();
    controlPlane.setApps([...controlPlane.apps, app]);
    const relay = await start({ usageFlushMs: 100 });
    const client = await connect(relay, app);
    await publishOutcomes(client, 1);
    await sleep(350);
    expect(controlPlane.applied(app.appId).messagesAccepted).toBe(1);
    client.close();
  });
});
