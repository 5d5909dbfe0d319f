// The shared contract suite against Redis, plus what only a networked implementation has: lease expiry
// of a dead node, presence reaping, acknowledgements across nodes on different snapshots, plan-change
// notices, and outages (a frozen Redis, a restarted one that lost every key). Needs a Redis at
// TEST_REDIS_URL (default 127.0.0.1:6379); outage tests start their own redis-server on a free port.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventuallyWithin } from "../../../test/eventually";
import { PrivateRedisCluster } from "../../../test/multinode/redis-cluster";
import { PrivateRedis, freePort } from "../../../test/multinode/redis-server";
import { testRedisBackends } from "../../../test/multinode/test-redis";
import { describeStateContract, readWholeRoster } from "../contract";
import type { DirectEvent, LocalDelivery, PresenceEvent } from "../types";
import { HistoryUnavailableError } from "../types";
import { createRedisStateCluster, deleteKeys } from "./index";
import { RedisKeys } from "./keys";
import type { RedisRelayState } from "./index";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const HISTORY = { historySize: 5, historyTtlSeconds: 60 };
const fastTiming = { leaseTtlMs: 1_000, heartbeatMs: 200, counterSyncMs: 20, commandTimeoutMs: 300, probeIntervalMs: 100, replyTimeoutMs: 500 };
const prefix = () => `tg-test:${process.pid}:${randomBytes(6).toString("hex")}:`;
// A cluster client discovers the topology (CLUSTER SLOTS) under the command timeout too: 300 ms is too
// tight for that on a loaded machine, and a discovery that times out starts the node degraded.
const clusterTiming = { ...fastTiming, commandTimeoutMs: 1_000 };
const timingFor = (target: object) => ("clusterNodes" in target ? clusterTiming : fastTiming);

describeStateContract("redis", () => createRedisStateCluster({ url: REDIS_URL, keyPrefix: prefix(), timing: fastTiming, cleanUp: true }));

describe("on a Redis Cluster (three masters, sharded pub/sub)", () => {
  const servers = new PrivateRedisCluster();
  beforeAll(() => servers.start(), 30_000);
  afterAll(() => servers.stop());
  describeStateContract("redis cluster", () => createRedisStateCluster({ clusterNodes: servers.nodes, keyPrefix: prefix(), timing: clusterTiming, cleanUp: true }));

  it("hears plan-change notices published on the cluster, and on the web app's standalone Redis when given one too", async () => {
    const channel = `${prefix()}plan-changes`;
    const created = createRedisStateCluster({ clusterNodes: servers.nodes, url: REDIS_URL, keyPrefix: prefix(), timing: clusterTiming, cleanUp: true, planChangeChannel: channel });
    const node = created.node("a");
    let notices = 0;
    node.onPlanChange(() => (notices += 1));
    await node.ready;
    const standalone = new Redis(REDIS_URL);
    const cluster = servers.client();
    try {
      // The notice subscription on the standalone Redis is not part of `ready`: publish until heard.
      await eventually(async () => {
        await standalone.publish(channel, JSON.stringify({ kind: "plan", atUnixMs: Date.now() }));
        expect(notices).toBeGreaterThanOrEqual(1);
      });
      const heard = notices;
      await cluster.publish(channel, JSON.stringify({ kind: "plan", atUnixMs: Date.now() }));
      await eventually(() => expect(notices).toBeGreaterThan(heard));
    } finally {
      standalone.disconnect();
      cluster.disconnect();
      await created.close();
    }
  });
});

/** Redis round trips through a freeze and a restart: 5 s at most by default. */
function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  return eventuallyWithin(check, timeoutMs);
}

class Delivery implements LocalDelivery {
  readonly presence: PresenceEvent[] = [];
  constructor(private readonly peers: Record<string, number> = {}) {}
  deliverChannelMessage(): number {
    return 1;
  }
  deliverPresence(event: PresenceEvent): number {
    this.presence.push(event);
    return 1;
  }
  deliverDirect(event: DirectEvent): number {
    return this.peers[event.toPeerId] ?? 0;
  }
  disconnectPeer(_appId: string, peerId: string): number {
    return this.peers[peerId] ?? 0;
  }
}

describe("redis state beyond the contract", () => {
  const clusters: Array<{ close(): Promise<void> }> = [];
  const cluster = (url = REDIS_URL, keyPrefix = prefix()) => {
    const created = createRedisStateCluster({ url, keyPrefix, timing: fastTiming, cleanUp: true });
    clusters.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });

  it("calls listeners on a plan-change notice", async () => {
    const channel = `${prefix()}plan-changes`;
    const created = createRedisStateCluster({ url: REDIS_URL, keyPrefix: prefix(), timing: fastTiming, cleanUp: true, planChangeChannel: channel });
    clusters.push(created);
    const node = created.node("a");
    let notices = 0;
    node.onPlanChange(() => (notices += 1));
    await node.ready;
    const publisher = new Redis(REDIS_URL);
    try {
      await publisher.publish(channel, JSON.stringify({ kind: "plan", atUnixMs: Date.now() }));
      await eventually(() => expect(notices).toBe(1));
    } finally {
      publisher.disconnect();
    }
  });

  it("an active channel left without updating the active set (a relay from before channel limits) stops counting once a join is refused by it", async () => {
    const keyPrefix = prefix();
    const node = cluster(REDIS_URL, keyPrefix).node("a");
    await node.ready;
    const raw = new Redis(REDIS_URL);
    try {
      // Listed as active, but with no presence left: what an older relay's last leave leaves behind.
      await raw.sadd(new RedisKeys(keyPrefix).activeChannels("app_h"), "ghost");
      expect(await node.presence.activeChannelCount("app_h")).toBe(1);
      expect(await node.presence.join("app_h", "room", { peerId: "alice" }, "a:1", { maxPeersPerChannel: null, maxActiveChannels: 1 })).toEqual({
        firstForPeer: true,
        activeChannels: 1,
      });
      expect(await node.presence.activeChannelCount("app_h")).toBe(1);
    } finally {
      raw.disconnect();
    }
  });

  it("a dead node's leases stop counting after the lease TTL and its presence is reaped and announced", async () => {
    const shared = cluster();
    const a = shared.node("a");
    const b = shared.node("b");
    const deliveryB = new Delivery();
    b.bus.attach(deliveryB);
    await Promise.all([a.ready, b.ready]);
    await a.leases.acquire("app_x", "a:1", 3);
    await a.leases.acquire("app_x", "a:2", 3);
    await a.presence.join("app_x", "room", { peerId: "alice" }, "a:1");
    await b.presence.join("app_x", "room", { peerId: "bob" }, "b:1");
    await a.presence.join("app_x", "solo", { peerId: "alice" }, "a:1");
    expect(await b.presence.activeChannelCount("app_x")).toBe(2);
    expect(await b.leases.count("app_x")).toBe(2);
    // Stops heartbeating without releasing anything, as a crashed node would.
    await a.close();
    const stoppedAt = Date.now();
    expect(await b.leases.count("app_x")).toBe(2);
    await eventually(async () => expect(await b.leases.count("app_x")).toBe(0), 4_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(fastTiming.leaseTtlMs - 100);
    await eventually(async () => expect((await readWholeRoster(b.presence, "app_x", "room")).map((m) => m.peerId)).toEqual(["bob"]));
    await eventually(() => expect(deliveryB.presence.some((e) => e.left.some((l) => l.peerId === "alice"))).toBe(true));
    expect((await b.leases.acquire("app_x", "b:9", 1)).acquired).toBe(true);
    // The dead node's channel is no longer active: it frees a place under maxActiveChannels.
    expect(await b.presence.activeChannelCount("app_x")).toBe(1);
  });

  it("an acknowledgement on one node never makes a node on an older snapshot undercount, nor a newer snapshot double count", async () => {
    const shared = cluster();
    const a = shared.node("a");
    const b = shared.node("b");
    a.counters.setBaseline("app_y", 1000, 100);
    b.counters.setBaseline("app_y", 1000, 100);
    a.counters.increment("app_y", 1000, 10);
    b.counters.increment("app_y", 1000, 5);
    await eventually(() => expect([a.counters.total("app_y", 1000), b.counters.total("app_y", 1000)]).toEqual([115, 115]));
    // a's usage batch is applied by the control plane (period count 110); b still holds the snapshot from before.
    a.counters.sent("app_y", 1000, 10);
    a.counters.acknowledge("app_y", 1000, 10, 110);
    expect(a.counters.total("app_y", 1000)).toBe(115);
    // A sync already under way carries the state from before the acknowledgement: the next one has it.
    await a.counters.sync();
    await a.counters.sync();
    await b.counters.sync();
    await b.counters.sync();
    expect(b.counters.total("app_y", 1000)).toBe(115);
    // The next snapshot includes the 10: b counts them once; an older one changes nothing.
    b.counters.setBaseline("app_y", 1000, 110);
    expect(b.counters.total("app_y", 1000)).toBe(115);
    b.counters.setBaseline("app_y", 1000, 100);
    await b.counters.sync();
    await a.counters.sync();
    expect(a.counters.total("app_y", 1000)).toBe(115);
    a.counters.setBaseline("app_y", 1000, 100);
    expect([a.counters.total("app_y", 1000), b.counters.total("app_y", 1000)]).toEqual([115, 115]);
  });

  it("a snapshot that already includes a batch still in flight does not count it twice", async () => {
    const shared = cluster();
    const a = shared.node("a");
    a.counters.setBaseline("app_z", 1000, 0);
    a.counters.increment("app_z", 1000, 7);
    a.counters.sent("app_z", 1000, 7);
    await a.counters.sync();
    // A snapshot generated after the control plane applied the batch, before a heard back.
    a.counters.setBaseline("app_z", 1000, 7);
    expect(a.counters.total("app_z", 1000)).toBe(7);
    a.counters.acknowledge("app_z", 1000, 7, 7);
    await a.counters.sync();
    expect(a.counters.total("app_z", 1000)).toBe(7);
    const b = shared.node("b");
    b.counters.setBaseline("app_z", 1000, 0);
    await eventually(() => expect(b.counters.total("app_z", 1000)).toBe(7));
  });

  it("direct sends wait for every node's answer and count what each reached", async () => {
    const shared = cluster();
    const nodes = ["a", "b", "c"].map((id) => shared.node(id));
    nodes[0]?.bus.attach(new Delivery());
    nodes[1]?.bus.attach(new Delivery({ bob: 1 }));
    nodes[2]?.bus.attach(new Delivery({ bob: 2 }));
    const [first] = nodes;
    if (!first) throw new Error("no node");
    await Promise.all(nodes.slice(1).map((node) => node.bus.peerArrived("app_d", "bob")));
    const event: DirectEvent = { appId: "app_d", toPeerId: "bob", fromPeerId: "alice", dataJson: "1" };
    expect(await first.bus.sendDirect(event)).toBe(3);
    expect(await first.bus.disconnectPeer("app_d", "bob", 4020, "test")).toBe(3);
    expect(await first.bus.sendDirect({ ...event, toPeerId: "nobody" })).toBe(0);
  });

  it("usage reports: a node that does not answer within the reply timeout is left out, and the answer says so", async () => {
    const keyPrefix = prefix();
    const shared = cluster(REDIS_URL, keyPrefix);
    const [a, b] = ["a", "b"].map((id) => {
      const node = shared.node(id);
      node.bus.attach(new Delivery());
      node.bus.reportUsageWith(() => ({ relayId: id, measuredAtUnixMs: 1, periodStartUnix: 1000, connections: 1, activeChannels: 0, peakConcurrent: 1, unflushed: [] }));
      return node;
    });
    if (!a || !b) throw new Error("no node");
    await Promise.all([a.ready, b.ready]);
    expect(await a.bus.gatherUsageReports("app_u")).toEqual({ reports: [expect.objectContaining({ relayId: "b" })], complete: true });
    // A third live node that never answers: a node whose event loop is busy.
    const busy = new Redis(REDIS_URL);
    try {
      await busy.zadd(`${keyPrefix}{fleet}:nodes`, Date.now() + 60_000, "busy");
      await busy.subscribe(`${keyPrefix}{node:busy}:inbox`);
      expect(await a.bus.gatherUsageReports("app_u")).toEqual({ reports: [expect.objectContaining({ relayId: "b" })], complete: false });
    } finally {
      busy.disconnect();
    }
  });
});

describe.each(testRedisBackends)("redis outages on $name", ({ create }) => {
  const redis = create();
  let started = false;
  let close: (() => Promise<void>) | null = null;

  afterEach(async () => {
    redis.thaw();
    await close?.();
    close = null;
  });
  afterAll(async () => {
    if (started) await redis.stop();
  });

  async function startCluster(): Promise<[RedisRelayState, RedisRelayState]> {
    if (!started) await redis.start();
    started = true;
    const keyPrefix = prefix();
    const target = redis.stateTarget();
    const shared = createRedisStateCluster({ ...target, keyPrefix, timing: timingFor(target) });
    close = async () => {
      await shared.close();
      await deleteKeys(target, keyPrefix).catch(() => undefined);
    };
    const a = shared.node("a");
    const b = shared.node("b");
    a.bus.attach(new Delivery());
    b.bus.attach(new Delivery({ bob: 1 }));
    await Promise.all([a.ready, b.ready]);
    await b.bus.peerArrived("app_o", "bob");
    return [a, b];
  }

  it("a frozen Redis degrades to the local view without blocking, then reconciles", async () => {
    const [a, b] = await startCluster();
    a.counters.setBaseline("app_o", 1000, 0);
    b.counters.setBaseline("app_o", 1000, 0);
    await a.leases.acquire("app_o", "a:1", 5);
    await b.leases.acquire("app_o", "b:1", 5);
    a.counters.increment("app_o", 1000, 4);
    await eventually(() => expect(b.counters.total("app_o", 1000)).toBe(4));
    // What a saw last is its outage view (heartbeats refresh it too).
    expect(await a.leases.count("app_o")).toBe(2);
    expect((await a.history.append("app_o", "room", { fromPeerId: "x", dataJson: "1" }, HISTORY))?.offset).toBe(1);

    redis.freeze();
    // The first command to time out flips the node to degraded; after that nothing waits on Redis.
    await eventually(() => expect(a.health().degraded).toBe(true), 3_000);
    const startedAt = Date.now();
    // 3 free slots, 2 live nodes: b is presumed to take as many as a, so a stops at 2.
    expect(await a.leases.acquire("app_o", "a:2", 5)).toEqual({ acquired: true, count: 3 });
    expect(await a.leases.acquire("app_o", "a:3", 5)).toEqual({ acquired: true, count: 4 });
    expect(await a.leases.acquire("app_o", "a:4", 5)).toEqual({ acquired: false, count: 4 });
    // Counted locally; b is presumed to be as busy as a was since Redis was last seen (fair share).
    expect(a.counters.increment("app_o", 1000, 6)).toBe(16);
    expect(await a.presence.join("app_o", "room", { peerId: "alice" }, "a:1")).toEqual({ firstForPeer: true });
    // Channel limits fall back to this node's own memberships (at most nodes × the limit across nodes).
    const oneEach = { maxPeersPerChannel: 1, maxActiveChannels: 1 };
    expect((await a.presence.join("app_o", "room", { peerId: "carol" }, "a:5", oneEach)).refused).toEqual({ limit: "maxPeersPerChannel", max: 1, count: 1 });
    expect((await a.presence.join("app_o", "hall", { peerId: "carol" }, "a:5", oneEach)).refused).toEqual({ limit: "maxActiveChannels", max: 1, count: 1 });
    await expect(a.bus.sendDirect({ appId: "app_o", toPeerId: "bob", fromPeerId: "x", dataJson: "1" })).rejects.toThrow(/unavailable/);
    // History: a message goes out without a position; a replay cannot say what the stream kept.
    expect(await a.history.append("app_o", "room", { fromPeerId: "x", dataJson: "2" }, HISTORY)).toBeNull();
    await expect(a.history.after("app_o", "room", 0, 5, HISTORY)).rejects.toBeInstanceOf(HistoryUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(100);
    await a.leases.release("app_o", "a:1");

    redis.thaw();
    await eventually(() => expect(a.health().degraded).toBe(false), 5_000);
    await eventually(() => expect(b.health().degraded).toBe(false), 5_000);
    expect(a.health().reconciles).toBeGreaterThanOrEqual(1);
    // Redis now holds a's local view: a:1 released during the outage, a:2 and a:3 acquired during it.
    expect(await b.leases.count("app_o")).toBe(3);
    await eventually(() => expect(b.counters.total("app_o", 1000)).toBe(10));
    expect((await readWholeRoster(b.presence, "app_o", "room")).map((m) => m.peerId)).toEqual(["alice"]);
    expect(await a.bus.sendDirect({ appId: "app_o", toPeerId: "bob", fromPeerId: "x", dataJson: "1" })).toBe(1);
  });

  it("a Redis restart that lost every key is rebuilt from the nodes' local views", async () => {
    const [a, b] = await startCluster();
    a.counters.setBaseline("app_r", 1000, 50);
    b.counters.setBaseline("app_r", 1000, 50);
    await a.leases.acquire("app_r", "a:1", null);
    await b.leases.acquire("app_r", "b:1", null);
    await b.presence.join("app_r", "room", { peerId: "bob", metadataJson: '{"n":1}' }, "b:1");
    const lostStream = await a.history.append("app_r", "room", { fromPeerId: "x", dataJson: "1" }, HISTORY);
    a.counters.increment("app_r", 1000, 3);
    b.counters.increment("app_r", 1000, 2);
    a.counters.sent("app_r", 1000, 3);
    a.counters.acknowledge("app_r", 1000, 3, 53);
    await eventually(() => expect([a.counters.total("app_r", 1000), b.counters.total("app_r", 1000)]).toEqual([55, 55]));

    await redis.restart();
    await eventually(() => expect(a.health().outages).toBeGreaterThanOrEqual(1), 3_000);
    await eventually(() => expect([a.health().degraded, b.health().degraded]).toEqual([false, false]), 5_000);
    expect(await a.leases.count("app_r")).toBe(2);
    expect(await readWholeRoster(a.presence, "app_r", "room")).toEqual([{ peerId: "bob", metadataJson: '{"n":1}' }]);
    expect(await a.presence.activeChannelCount("app_r")).toBe(1);
    a.counters.increment("app_r", 1000, 1);
    await eventually(() => expect([a.counters.total("app_r", 1000), b.counters.total("app_r", 1000)]).toEqual([56, 56]));
    // The channel's stream was lost with the keys: the next message starts a new epoch, which a client's old position does not match.
    const renewed = await b.history.append("app_r", "room", { fromPeerId: "x", dataJson: "2" }, HISTORY);
    expect(renewed?.offset).toBe(1);
    expect(renewed?.epoch).not.toBe(lostStream?.epoch);
  });
});

describe("redis outages before the first connection", () => {
  it("starts degraded when Redis is unreachable and joins once it appears", async () => {
    const late = new PrivateRedis();
    late.port = await freePort();
    const keyPrefix = prefix();
    const shared = createRedisStateCluster({ url: late.url, keyPrefix, timing: fastTiming });
    try {
      const a = shared.node("a");
      a.bus.attach(new Delivery());
      const startedAt = Date.now();
      await a.ready;
      expect(Date.now() - startedAt).toBeLessThan(3 * fastTiming.commandTimeoutMs);
      await eventually(() => expect(a.health().degraded).toBe(true), 2_000);
      expect(await a.leases.acquire("app_l", "a:1", 1)).toEqual({ acquired: true, count: 1 });
      a.counters.setBaseline("app_l", 1000, 0);
      a.counters.increment("app_l", 1000, 2);
      await late.start();
      await eventually(() => expect(a.health().degraded).toBe(false), 5_000);
      const b = shared.node("b");
      b.bus.attach(new Delivery());
      await b.ready;
      expect((await b.leases.acquire("app_l", "b:1", 1)).acquired).toBe(false);
      b.counters.setBaseline("app_l", 1000, 0);
      await eventually(() => expect(b.counters.total("app_l", 1000)).toBe(2));
    } finally {
      await shared.close();
      await late.stop();
    }
  });
});
