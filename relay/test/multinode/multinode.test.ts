// Three relay processes on 127.0.0.1 sharing a private redis-server (started on a free port, so it can
// be frozen and restarted without touching the shared Redis), or a private three-master Redis Cluster,
// with a fake control plane serving the snapshot and applying usage batches. Every guarantee is checked
// on both. Timers are shortened through the environment; every wait is bounded.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode, Disconnect, ErrorCode, RelayInternalPath, relayConnectionsResponseSchema, relayStatsResponseSchema } from "../../src/protocol";
import type { SnapshotApp } from "../../src/protocol";
import { FakeControlPlane, TestClient, appFixture, eventually, fetchMetrics, firstSecretKey, internalHeaders, mintToken, sleep } from "../helpers";
import type { Frame } from "../helpers";
import { RelayCluster } from "./cluster";
import type { RelayNode } from "./cluster";
import { testRedisBackends } from "./test-redis";
import type { TestRedis } from "./test-redis";
import { everyNodeHolds, startRelayFleet, stopRelayFleet } from "./fleet";

const COUNTER_SYNC_MS = 50;
const LEASE_TTL_MS = 1_500;
const HEARTBEAT_MS = 300;
const PLAN_CHANGE_CHANNEL = `tg-multinode:${process.pid}:${randomBytes(4).toString("hex")}:plan-changes`;

let redis: TestRedis;
let controlPlane: FakeControlPlane;
let cluster: RelayCluster;
let nodes: RelayNode[] = [];

function node(index: number): RelayNode {
  const found = nodes[index];
  if (!found) throw new Error(`no node ${index}`);
  return found;
}

async function connect(relay: RelayNode, app: SnapshotApp, sub: string, claims: Record<string, unknown> = {}): Promise<TestClient> {
  const token = await mintToken(firstSecretKey(app), { sub, claims });
  const client = new TestClient(`${relay.url}/v1?token=${token}`);
  await client.waitFor((f) => f.type === "welcome" || f.type === "error", 5_000).catch(() => undefined);
  return client;
}

/** Connects and resolves with the client once it was welcomed or closed (refused). */
async function attempt(relay: RelayNode, app: SnapshotApp, sub: string): Promise<TestClient> {
  const token = await mintToken(firstSecretKey(app), { sub });
  const client = new TestClient(`${relay.url}/v1?token=${token}`);
  await Promise.race([client.waitFor((f) => f.type === "welcome", 5_000).catch(() => undefined), client.closed]);
  return client;
}

const welcomed = (client: TestClient) => client.frames.some((f) => f.type === "welcome") && client.closeCode === null;

async function stats(relay: RelayNode, appId: string) {
  const response = await fetch(relay.httpUrl + RelayInternalPath.stats(appId), { headers: internalHeaders() });
  return relayStatsResponseSchema.parse(await response.json());
}

async function startNodes(backend: TestRedis): Promise<void> {
  ({ redis, controlPlane, cluster, nodes } = await startRelayFleet(backend, {
    keyPrefix: "tg-multinode",
    env: {
      // Only the plan-change notice can explain a refresh within the tests' time.
      PLAN_CACHE_REFRESH_MS: "600000",
      USAGE_FLUSH_MS: "500",
      REDIS_PLAN_CHANGE_CHANNEL: PLAN_CHANGE_CHANNEL,
      REDIS_LEASE_TTL_MS: String(LEASE_TTL_MS),
      REDIS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      REDIS_COUNTER_SYNC_MS: String(COUNTER_SYNC_MS),
      REDIS_COMMAND_TIMEOUT_MS: "300",
      REDIS_PROBE_INTERVAL_MS: "100",
    },
  }));
}

const stopNodes = () => stopRelayFleet({ redis, controlPlane, cluster });

/** Registers an app with the fake control plane and tells every node (the plan-change notice). */
async function addApp(app: SnapshotApp): Promise<void> {
  controlPlane.setApps([...controlPlane.apps, app]);
  await notifyPlanChange();
  await everyNodeHolds(nodes, app.appId, 2_000);
}

async function notifyPlanChange(): Promise<void> {
  const publisher = redis.client();
  try {
    await publisher.publish(PLAN_CHANGE_CHANNEL, JSON.stringify({ kind: "plan", atUnixMs: Date.now() }));
  } finally {
    publisher.disconnect();
  }
}

describe.each(testRedisBackends)("several relay nodes through $name", ({ create }) => {
  beforeAll(() => startNodes(create()), 60_000);
  afterAll(() => stopNodes(), 30_000);

  it("a tenant spreading connections across nodes is admitted at most its limit", async () => {
    const app = appFixture({ limits: { maxConcurrentConnections: 5 } });
    await addApp(app);
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(node(i % 3), app, `peer-${i}`)));
    const admitted = clients.filter(welcomed);
    expect(admitted).toHaveLength(5);
    for (const client of clients.filter((c) => !welcomed(c))) expect(await client.closeCodeWithin()).toBe(CloseCode.OverConcurrentLimit);
    for (const relay of nodes) expect((await stats(relay, app.appId)).concurrentNow).toBe(5);
    // Any node's answer carries every node's live report: each node's own connections add up to the lease count.
    const { nodes: reports, allNodesAnswered } = await stats(node(1), app.appId);
    expect(allNodesAnswered).toBe(true);
    expect(new Set(reports.map((report) => report.relayId)).size).toBe(3);
    expect(reports.reduce((sum, report) => sum + report.connections, 0)).toBe(5);
    // Freed slots are usable from any node.
    admitted.slice(0, 2).forEach((client) => client.close());
    await eventually(async () => expect((await stats(node(2), app.appId)).concurrentNow).toBe(3));
    const again = await Promise.all([attempt(node(2), app, "again-1"), attempt(node(1), app, "again-2"), attempt(node(0), app, "again-3")]);
    expect(again.filter(welcomed)).toHaveLength(2);
    for (const client of [...clients, ...again]) client.close();
  });

  it("keeps the message-quota overshoot within 1 % of the limit plus one sync interval of traffic", async () => {
    const limit = 3_000;
    const app = appFixture({ limits: { maxMessagesPerPeriod: limit, tokenBucketRefillPerSecond: 1_000_000, tokenBucketBurst: 1_000_000 } });
    await addApp(app);
    const publishers = await Promise.all(nodes.map((relay, i) => connect(relay, app, `publisher-${i}`)));
    const perPublisher = 2_000;
    const startedAt = Date.now();
    // Three steady publishers, one per node, together asking for twice the quota (about 3 messages per ms).
    await Promise.all(
      publishers.map(async (client) => {
        for (let sent = 0; sent < perPublisher; sent += 10) {
          for (let i = 0; i < 10; i++) client.send({ type: "publish", channel: "quota", data: i, requestId: `q${sent + i}` });
          await sleep(10);
        }
        await client.waitFor((f) => (f.type === "ack" || f.type === "error") && f.requestId === `q${perPublisher - 1}`, 15_000);
      }),
    );
    const elapsedMs = Date.now() - startedAt;
    const answers = publishers.flatMap((client) => client.frames.filter((f): f is Frame => typeof f.requestId === "string" && f.requestId.startsWith("q")));
    const accepted = answers.filter((f) => f.type === "ack").length;
    const dropped = answers.filter((f) => f.type === "error" && f.code === ErrorCode.OverMessageQuota).length;
    expect(accepted + dropped).toBe(3 * perPublisher);
    const oneSyncOfTraffic = ((3 * perPublisher) / elapsedMs) * COUNTER_SYNC_MS;
    const allowedOvershoot = 0.01 * limit + oneSyncOfTraffic;
    expect(accepted - limit).toBeLessThanOrEqual(allowedOvershoot);
    // Near the limit a node may stop at its share a little early; that is bounded the same way.
    expect(limit - accepted).toBeLessThanOrEqual(allowedOvershoot);
    // Every node converges on the same global count: the accepted messages (refusals are soft drops).
    await eventually(async () => {
      for (const relay of nodes) expect((await stats(relay, app.appId)).messagesUsed).toBe(accepted);
    }, 5_000);
    for (const client of publishers) client.close();
  });

  it("delivers channel messages, presence and direct sends across nodes; DELETE reaches every node", async () => {
    const app = appFixture();
    await addApp(app);
    const alice = await connect(node(0), app, "alice");
    const bob = await connect(node(1), app, "bob", { peerMetadata: { name: "Bob" } });
    const carol = await connect(node(2), app, "carol");
    expect((await alice.request({ type: "subscribe", channel: "room" })).type).toBe("ack");
    expect((await bob.request({ type: "subscribe", channel: "room" })).type).toBe("ack");
    // Bob's roster holds alice (on another node); alice hears bob join.
    expect(await bob.waitFor((f) => f.type === "presence")).toEqual({ type: "presence", channel: "room", roster: { page: 1, last: true }, joined: [{ peerId: "alice" }], left: [] });
    expect(await alice.waitFor((f) => f.type === "presence" && Array.isArray(f.joined) && f.joined.length === 1)).toMatchObject({ joined: [{ peerId: "bob", metadata: { name: "Bob" } }] });

    expect((await carol.request({ type: "publish", channel: "room", data: { hello: 1 } })).type).toBe("ack");
    for (const client of [alice, bob]) expect(await client.waitFor((f) => f.type === "message")).toEqual({ type: "message", channel: "room", from: "carol", data: { hello: 1 } });

    expect((await alice.request({ type: "send", to: "bob", data: "psst" })).type).toBe("ack");
    expect(await bob.waitFor((f) => f.type === "direct")).toEqual({ type: "direct", from: "alice", data: "psst" });
    expect(await alice.request({ type: "send", to: "nobody", data: 1 })).toMatchObject({ type: "error", code: ErrorCode.PeerNotFound });

    // A REST publish on the node with no subscriber reports the deliveries on the other nodes.
    const published = await fetch(node(2).httpUrl + RelayInternalPath.publish(app.appId, "room"), {
      method: "POST",
      headers: { ...internalHeaders(), "content-type": "application/json" },
      body: JSON.stringify({ data: "from rest" }),
    });
    expect(await published.json()).toEqual({ channel: "room", delivered: 2 });
    for (const client of [alice, bob]) expect(await client.waitFor((f) => f.type === "message" && f.data === "from rest")).toMatchObject({ from: "server" });

    const peers = await fetch(node(2).httpUrl + RelayInternalPath.channelPeers(app.appId, "room"), { headers: internalHeaders() });
    expect(((await peers.json()) as { peers: Array<{ peerId: string }> }).peers.map((p) => p.peerId).sort()).toEqual(["alice", "bob"]);

    const deleted = await fetch(node(2).httpUrl + RelayInternalPath.disconnectPeer(app.appId, "bob"), { method: "DELETE", headers: internalHeaders() });
    expect(await deleted.json()).toEqual({ peerId: "bob", closed: 1 });
    expect(await bob.closeCodeWithin()).toBe(CloseCode.AdminDisconnect);
    expect(await alice.waitFor((f) => f.type === "presence" && Array.isArray(f.left) && f.left.length === 1)).toMatchObject({ left: [{ peerId: "bob" }] });
    alice.close();
    carol.close();
  });

  it("any node lists the app's connections on every node, and an owner's disconnect there closes a peer held by another node", async () => {
    const app = appFixture();
    await addApp(app);
    const alice = await connect(node(0), app, "alice");
    const bob = await connect(node(1), app, "bob");
    const listed = relayConnectionsResponseSchema.parse(await (await fetch(node(2).httpUrl + RelayInternalPath.connections(app.appId), { headers: internalHeaders() })).json());
    expect(listed.allNodesAnswered).toBe(true);
    expect(listed.nodes).toHaveLength(3);
    expect(listed.nodes.flatMap((listedNode) => listedNode.connections.map((connection) => connection.peerId)).sort()).toEqual(["alice", "bob"]);
    expect(new Set(listed.nodes.map((listedNode) => listedNode.relayId)).size).toBe(3);

    const kicked = await fetch(node(2).httpUrl + RelayInternalPath.disconnectPeer(app.appId, "alice", "owner"), { method: "DELETE", headers: internalHeaders() });
    expect(await kicked.json()).toEqual({ peerId: "alice", closed: 1 });
    expect(await alice.closed).toEqual({ code: CloseCode.AdminDisconnect, reason: Disconnect.OwnerDisconnect.reason });
    await eventually(async () => {
      const after = relayConnectionsResponseSchema.parse(await (await fetch(node(1).httpUrl + RelayInternalPath.connections(app.appId), { headers: internalHeaders() })).json());
      expect(after.nodes.flatMap((listedNode) => listedNode.connections.map((connection) => connection.peerId))).toEqual(["bob"]);
      expect(after.nodes.flatMap((listedNode) => listedNode.recentlyClosed.map((closed) => [closed.peerId, closed.reason]))).toEqual([["alice", "disconnected_by_owner"]]);
    });
    bob.close();
  });

  it("a node hears an app's traffic only while it has a subscriber of the app", async () => {
    const app = appFixture({ limits: { tokenBucketRefillPerSecond: 1_000_000, tokenBucketBurst: 1_000_000 } });
    await addApp(app);
    const received = async (relay: RelayNode) => Number((await fetchMetrics(relay.httpUrl)).match(/^relay_redis_events_received_total (\d+)$/m)?.[1] ?? NaN);
    const listener = await connect(node(1), app, "listener");
    expect((await listener.request({ type: "subscribe", channel: "news" })).type).toBe("ack");
    // Node 2 holds a connection of the app, but no subscriber.
    const bystander = await connect(node(2), app, "bystander");
    const publisher = await connect(node(0), app, "publisher");
    const before = await Promise.all([received(node(1)), received(node(2))]);
    for (let i = 0; i < 50; i++) expect((await publisher.request({ type: "publish", channel: "news", data: i })).type).toBe("ack");
    await eventually(() => expect(listener.framesOf("message")).toHaveLength(50));
    const after = await Promise.all([received(node(1)), received(node(2))]);
    expect(after[0] - before[0]).toBeGreaterThanOrEqual(50);
    expect(after[1] - before[1]).toBe(0);

    // Subscribed: the acknowledgement means the node hears the app from then on (wildcards too).
    expect((await bystander.request({ type: "subscribe", channel: "ne*" })).type).toBe("ack");
    expect((await publisher.request({ type: "publish", channel: "news", data: "now" })).type).toBe("ack");
    expect(await bystander.waitFor((f) => f.type === "message")).toMatchObject({ channel: "news", data: "now" });
    // The last subscriber gone, the node stops hearing it.
    expect((await bystander.request({ type: "unsubscribe", channel: "ne*" })).type).toBe("ack");
    const unsubscribed = await received(node(2));
    for (let i = 0; i < 20; i++) expect((await publisher.request({ type: "publish", channel: "news", data: i })).type).toBe("ack");
    await eventually(() => expect(listener.framesOf("message")).toHaveLength(71));
    expect(await received(node(2))).toBe(unsubscribed);
    for (const client of [listener, bystander, publisher]) client.close();
  });

  it("a direct send reaches a peer on another node without waiting for a stopped unrelated node", async () => {
    const app = appFixture();
    await addApp(app);
    const alice = await connect(node(0), app, "alice");
    const bob = await connect(node(1), app, "bob");
    const timeouts = async () => Number((await fetchMetrics(node(0).httpUrl)).match(/^relay_redis_reply_timeouts_total (\d+)$/m)?.[1] ?? NaN);
    const timeoutsBefore = await timeouts();
    // A stopped process keeps its Redis connections: a broadcast would wait for its answer.
    node(2).child.kill("SIGSTOP");
    try {
      expect((await alice.request({ type: "send", to: "bob", data: "psst" })).type).toBe("ack");
      expect(await bob.waitFor((f) => f.type === "direct")).toEqual({ type: "direct", from: "alice", data: "psst" });
      expect(await alice.request({ type: "send", to: "nobody", data: 1 })).toMatchObject({ type: "error", code: ErrorCode.PeerNotFound });
    } finally {
      node(2).child.kill("SIGCONT");
    }
    expect(await timeouts()).toBe(timeoutsBefore);
    alice.close();
    bob.close();
  });

  it("a key revoked in the control plane closes its connections on every node within 2 s", async () => {
    const app = appFixture();
    await addApp(app);
    const clients = await Promise.all(nodes.map((relay, i) => connect(relay, app, `revoked-${i}`)));
    const keyId = firstSecretKey(app).keyId;
    controlPlane.update(app.appId, (a) => {
      const key = a.keys.find((k) => k.keyId === keyId);
      if (key) key.revoked = true;
    });
    const startedAt = Date.now();
    await notifyPlanChange();
    for (const client of clients) expect(await client.closeCodeWithin(2_000)).toBe(CloseCode.InvalidToken);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it("a killed node's leases expire and its peers are announced as gone", async () => {
    const app = appFixture({ limits: { maxConcurrentConnections: 4 } });
    const victim = await cluster.startNode();
    nodes.push(victim);
    await addApp(app);
    const watcher = await connect(node(0), app, "watcher");
    expect((await watcher.request({ type: "subscribe", channel: "lobby" })).type).toBe("ack");
    const doomed = await Promise.all([connect(victim, app, "doomed-1"), connect(victim, app, "doomed-2"), connect(victim, app, "doomed-3")]);
    expect((await doomed[0]?.request({ type: "subscribe", channel: "lobby" }))?.type).toBe("ack");
    await watcher.waitFor((f) => f.type === "presence" && Array.isArray(f.joined) && f.joined.length === 1);
    expect((await stats(node(1), app.appId)).concurrentNow).toBe(4);
    expect(welcomed(await attempt(node(1), app, "refused"))).toBe(false);

    const killedAt = Date.now();
    await cluster.kill(victim);
    nodes = nodes.filter((n) => n !== victim);
    await eventually(async () => expect((await stats(node(1), app.appId)).concurrentNow).toBe(1), LEASE_TTL_MS + 3 * HEARTBEAT_MS + 2_000);
    const expiredAfterMs = Date.now() - killedAt;
    expect(expiredAfterMs).toBeLessThan(LEASE_TTL_MS + 3 * HEARTBEAT_MS + 2_000);
    expect(await watcher.waitFor((f) => f.type === "presence" && Array.isArray(f.left) && f.left.length === 1, 3_000)).toMatchObject({ left: [{ peerId: "doomed-1" }] });
    const replacement = await attempt(node(2), app, "replacement");
    expect(welcomed(replacement)).toBe(true);
    watcher.close();
    replacement.close();
    for (const client of doomed) client.close();
  });

  it("keeps serving through a frozen and then a restarted Redis, says so in /readyz and /metrics, and reconciles counters", async () => {
    const app = appFixture({ limits: { tokenBucketRefillPerSecond: 1_000_000, tokenBucketBurst: 1_000_000 } });
    await addApp(app);
    const listener = await connect(node(0), app, "listener");
    expect((await listener.request({ type: "subscribe", channel: "steady" })).type).toBe("ack");
    const publishers = await Promise.all(nodes.map((relay, i) => connect(relay, app, `steady-${i}`)));
    let running = true;
    let sent = 0;
    const traffic = Promise.all(
      publishers.map(async (client) => {
        while (running) {
          client.send({ type: "publish", channel: "steady", data: sent, requestId: `s${sent++}` });
          await sleep(4);
        }
      }),
    );
    const readiness = async (relay: RelayNode) => {
      const response = await fetch(`${relay.httpUrl}/readyz`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const logCount = (relay: RelayNode, msg: string) => relay.output().split("\n").filter((line) => line.includes(`"msg":"${msg}"`)).length;
    const outageLogged = (count: number) => nodes.every((relay) => logCount(relay, "redis unavailable; serving with the local view") >= count);
    const recoveryLogged = (count: number) => nodes.every((relay) => logCount(relay, "redis available again; local view reconciled") >= count);
    try {
      await sleep(300);
      redis.freeze();
      await eventually(() => expect(outageLogged(1)).toBe(true), 3_000);
      // Still ready (it serves), and says why it is degraded; the metric says the same.
      for (const relay of nodes) expect(await readiness(relay)).toEqual({ status: 200, body: { status: "ready", snapshotLoaded: true, closing: false, redis: "degraded" } });
      expect(await fetchMetrics(node(2).httpUrl)).toMatch(/^relay_redis_degraded 1$/m);
      // A node that cannot ask the others says so instead of claiming the peer is offline everywhere.
      const deleted = await fetch(node(2).httpUrl + RelayInternalPath.disconnectPeer(app.appId, "listener"), { method: "DELETE", headers: internalHeaders() });
      expect(deleted.status).toBe(503);
      expect(await deleted.json()).toMatchObject({ error: "unavailable" });
      await sleep(700);
      redis.thaw();
      await eventually(() => expect(recoveryLogged(1)).toBe(true), 5_000);
      await redis.restart();
      await eventually(() => expect(outageLogged(2)).toBe(true), 3_000);
      await eventually(() => expect(recoveryLogged(2)).toBe(true), 5_000);
      for (const relay of nodes) expect((await readiness(relay)).body).toMatchObject({ status: "ready", redis: "ok" });
      await sleep(300);
    } finally {
      running = false;
      await traffic;
    }
    // Local delivery never stopped: the listener heard its own node's publisher throughout.
    expect(listener.framesOf("message").length).toBeGreaterThan(100);
    for (const relay of nodes) expect(relay.child.exitCode).toBeNull();
    for (const relay of nodes) expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
    const metrics = await fetchMetrics(node(1).httpUrl);
    expect(metrics).toMatch(/^relay_redis_degraded 0$/m);
    expect(metrics).toMatch(/^relay_redis_outages_total 2$/m);
    expect(metrics).toMatch(/^relay_redis_reconciles_total 2$/m);
    // Every publish was counted once: all nodes agree on the global total once Redis is back.
    await eventually(async () => {
      const used = await Promise.all(nodes.map(async (relay) => (await stats(relay, app.appId)).messagesUsed));
      expect(used).toEqual(nodes.map(() => sent));
    }, 8_000);
    listener.close();
    for (const client of publishers) client.close();
  });
});
