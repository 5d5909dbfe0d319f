// Redis-backed relay state for several relay nodes (ARCHITECTURE §1 "Global limits"). Decisions stay
// local and fast; counting is global: leases with heartbeats, counters synced in background batches,
// presence and fan-out through Redis. When Redis is unreachable the node keeps serving with its local
// view (see ./link.ts) and pushes that view back when Redis returns.
import { Cluster, Redis } from "ioredis";
import { silentLogger } from "../../log";
import { PLAN_CHANGE_CHANNEL } from "../../protocol";
import type { Logger } from "../../log";
import type { RelayState, RelayStateCluster, StateHealth } from "../types";
import { RedisMessageBus } from "./bus";
import { RedisMessageCounterStore } from "./counters";
import { RedisPeerDirectory, reapDirectory } from "./directory";
import { RedisHistoryStore } from "./history";
import { RedisKeys } from "./keys";
import { RedisLeaseStore } from "./leases";
import { RedisLink, UNAVAILABLE, clusterNode } from "./link";
import type { RedisTarget } from "./link";
import { RedisPresenceStore, reapPresence } from "./presence";
import { HEARTBEAT, REAP_CLAIM } from "./scripts";

/** The control plane's plan-change notice channel (lib/relay/notify-relays.ts publishes on it). */

export interface RedisStateTiming {
  /** A node's leases and presence outlive its last heartbeat by this long (crash → bounded leak). */
  leaseTtlMs: number;
  heartbeatMs: number;
  /** Counter push/pull interval: the other nodes' traffic a node may not see yet (overshoot bound). */
  counterSyncMs: number;
  /** A command without reply for this long marks Redis unavailable (a frozen Redis never closes the socket). */
  commandTimeoutMs: number;
  /** While unavailable, how often to check whether Redis answers again. */
  probeIntervalMs: number;
  /** How long a direct send or disconnect waits for the other nodes' replies. */
  replyTimeoutMs: number;
}

export const defaultRedisTiming: RedisStateTiming = {
  leaseTtlMs: 15_000,
  heartbeatMs: 5_000,
  counterSyncMs: 200,
  commandTimeoutMs: 1_000,
  probeIntervalMs: 1_000,
  replyTimeoutMs: 1_000,
};

export interface RedisStateOptions {
  /** A standalone Redis URL; ignored when `clusterNodes` is set. */
  url?: string;
  /** Seed nodes of a Redis Cluster ("host:port"): sharded pub/sub and hash-tagged keys. */
  clusterNodes?: readonly string[];
  nodeId: string;
  /** Prefix of every key and pub/sub channel (default "tollgate:"). */
  keyPrefix?: string;
  timing?: Partial<RedisStateTiming>;
  logger?: Logger;
  /** Plan-change notice channel (default PLAN_CHANGE_CHANNEL). */
  planChangeChannel?: string;
  /** Waited for before the first cross-node publish (a test cluster waits for all its nodes). */
  gate?: () => Promise<void>;
}

const REAP_BATCH = 10;

function targetOf(options: { url?: string | undefined; clusterNodes?: readonly string[] | undefined }): RedisTarget {
  if (options.clusterNodes && options.clusterNodes.length > 0) return { clusterNodes: options.clusterNodes };
  if (options.url) return { url: options.url };
  throw new Error("redis state needs a url or cluster nodes");
}

export class RedisRelayState implements RelayState {
  readonly leases: RedisLeaseStore;
  readonly counters: RedisMessageCounterStore;
  readonly presence: RedisPresenceStore;
  readonly history: RedisHistoryStore;
  readonly bus: RedisMessageBus;
  readonly nodeId: string;
  private readonly link: RedisLink;
  private readonly keys: RedisKeys;
  private readonly timing: RedisStateTiming;
  private readonly logger: Logger;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly planChangeListeners: Array<() => void> = [];
  /** On a cluster with REDIS_URL also given: the web app's standalone Redis, where it publishes plan-change notices. */
  private readonly noticeSubscriber: Redis | null = null;
  private registered = false;
  private closed: Promise<void> | null = null;
  /** Resolves when the node is registered and listening (or once Redis failed to answer in time). */
  readonly ready: Promise<void>;

  constructor(options: RedisStateOptions) {
    this.nodeId = options.nodeId;
    this.timing = { ...defaultRedisTiming, ...options.timing };
    this.logger = options.logger ?? silentLogger;
    this.keys = new RedisKeys(options.keyPrefix ?? "tollgate:");
    this.link = new RedisLink({
      target: targetOf(options),
      nodeId: this.nodeId,
      commandTimeoutMs: this.timing.commandTimeoutMs,
      probeIntervalMs: this.timing.probeIntervalMs,
      logger: this.logger,
    });
    // The node registers first: it is the oldest command on the connection, so every later one runs after it.
    const registeredOnce = this.heartbeat();
    this.leases = new RedisLeaseStore(this.link, this.keys, this.nodeId, this.timing.leaseTtlMs);
    this.counters = new RedisMessageCounterStore(this.link, this.keys, this.nodeId, this.timing.counterSyncMs);
    this.presence = new RedisPresenceStore(this.link, this.keys, this.nodeId);
    this.history = new RedisHistoryStore(this.link, this.keys);
    const directory = new RedisPeerDirectory(this.link, this.keys, this.nodeId);
    const listening = { promise: Promise.resolve() };
    const gate = options.gate ?? (() => listening.promise);
    const planChangeChannel = options.planChangeChannel ?? PLAN_CHANGE_CHANNEL;
    const planChanged = () => {
      for (const listener of this.planChangeListeners) listener();
    };
    this.bus = new RedisMessageBus(this.link, this.keys, directory, this.nodeId, this.timing.replyTimeoutMs, gate, { [planChangeChannel]: planChanged });
    if (options.clusterNodes && options.clusterNodes.length > 0 && options.url) {
      this.noticeSubscriber = new Redis(options.url, { connectionName: `tollgate-relay-notices:${this.nodeId}`, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(50 * times, 1_000) });
      // A notice missed while it is away is caught by the periodic refresh.
      this.noticeSubscriber.on("error", () => undefined);
      this.noticeSubscriber.on("message", (channel: string) => {
        if (channel === planChangeChannel) planChanged();
      });
      this.noticeSubscriber.subscribe(planChangeChannel).catch(() => undefined);
    }
    listening.promise = this.bus.ready.catch(() => undefined);
    // Re-registration is part of every reconcile (Redis may have lost the node or reaped it).
    this.link.onReconcile(async () => {
      await this.link.script(this.link.command, HEARTBEAT, [this.keys.nodes], [this.nodeId, this.timing.leaseTtlMs]);
      this.registered = true;
    });
    this.heartbeatTimer = setInterval(() => void this.heartbeat().then(() => this.reap()), this.timing.heartbeatMs);
    this.heartbeatTimer.unref();
    const startupTimeout = new Promise<void>((resolve) => setTimeout(resolve, this.timing.commandTimeoutMs * 2).unref());
    this.ready = Promise.race([Promise.all([registeredOnce, listening.promise]).then(() => undefined), startupTimeout]);
  }

  health(): StateHealth {
    return { backend: "redis", ...this.link.health(), ...this.bus.stats };
  }

  /** Called when the control plane announces a plan change (the relay refreshes its plan cache). */
  onPlanChange(listener: () => void): void {
    this.planChangeListeners.push(listener);
  }

  private async heartbeat(): Promise<void> {
    const reply = await this.link.call((redis) => this.link.script(redis, HEARTBEAT, [this.keys.nodes], [this.nodeId, this.timing.leaseTtlMs]));
    if (reply === UNAVAILABLE || !Array.isArray(reply)) return;
    const [known, ...live]: unknown[] = reply;
    this.link.otherLiveNodes = live.filter((nodeId) => nodeId !== this.nodeId).length;
    if (known === 0 && this.registered) {
      // Reaped after a stall, or Redis lost its data: push the local view again.
      this.link.markDegraded("node registration lost");
      return;
    }
    this.registered = true;
    await this.leases.renew();
  }

  /**
   * Any live node reaps dead ones: claims them (atomically, so each is announced once), removes their
   * presence, announcing the peers that left with them, and their directory entries.
   */
  private async reap(): Promise<void> {
    const dead = await this.link.call((redis) => this.link.script(redis, REAP_CLAIM, [this.keys.nodes, this.keys.reaping], [REAP_BATCH]));
    if (dead === UNAVAILABLE || !Array.isArray(dead) || dead.length === 0) return;
    let peersLeft = 0;
    for (const nodeId of dead) {
      if (typeof nodeId !== "string") continue;
      const done = await this.link.call(async (redis) => {
        const left = await reapPresence(this.link, this.keys, nodeId);
        await reapDirectory(this.link, this.keys, nodeId);
        await redis.del(this.keys.nodeLeaseApps(nodeId));
        await redis.srem(this.keys.reaping, nodeId);
        return left;
      });
      if (done === UNAVAILABLE) return;
      peersLeft += done.length;
      for (const [appId, channel, peerId] of done) this.bus.publishPresence({ appId, channel, joined: [], left: [{ peerId }], excludePeerId: peerId });
    }
    if (peersLeft > 0) this.logger.info("reaped presence of dead relay nodes", { peersLeft });
  }

  close(): Promise<void> {
    if (!this.closed) this.closed = this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.counters.close();
    // A last push so acknowledgements made during shutdown reach the other nodes.
    await this.counters.sync().catch(() => undefined);
    await this.bus.close();
    // Marked dead rather than removed, so the next reap clears any presence the server did not leave.
    await this.link.call((redis) => redis.zadd(this.keys.nodes, 0, this.nodeId));
    this.noticeSubscriber?.disconnect();
    await this.link.close();
  }
}

/** State for one relay node of a multi-node deployment; waits (bounded) until it is registered and listening. */
export async function createRedisState(options: RedisStateOptions): Promise<RedisRelayState> {
  const state = new RedisRelayState(options);
  await state.ready;
  return state;
}

export interface RedisStateClusterOptions extends Omit<RedisStateOptions, "nodeId" | "gate"> {
  /** Deletes every key under the prefix on close (tests use a unique prefix per run). */
  cleanUp?: boolean;
}

/**
 * Several nodes in one process sharing one Redis (the contract suite and tests). Cross-node publishes
 * wait until every node created so far listens, since in one process they start at the same instant.
 */
export interface RedisStateCluster extends RelayStateCluster {
  node(nodeId: string): RedisRelayState;
  readonly nodes: RedisRelayState[];
}

export function createRedisStateCluster(options: RedisStateClusterOptions): RedisStateCluster {
  const nodes: RedisRelayState[] = [];
  const gate = () => Promise.all(nodes.map((node) => node.ready)).then(() => undefined);
  return {
    nodes,
    node(nodeId: string): RedisRelayState {
      const node = new RedisRelayState({ ...options, nodeId, gate });
      nodes.push(node);
      return node;
    },
    async close(): Promise<void> {
      await Promise.all(nodes.splice(0).map((node) => node.close()));
      if (options.cleanUp && options.keyPrefix) await deleteKeys(targetOf(options), options.keyPrefix);
    },
  };
}

/** Deletes every key under `prefix` (SCAN, never KEYS, so a shared Redis is not blocked; every master of a cluster). */
export async function deleteKeys(target: RedisTarget | string, prefix: string): Promise<number> {
  const where = typeof target === "string" ? { url: target } : target;
  if ("url" in where) {
    const redis = new Redis(where.url, { maxRetriesPerRequest: 1 });
    try {
      return await deleteKeysOn(redis, prefix);
    } finally {
      redis.disconnect();
    }
  }
  const cluster = new Cluster(where.clusterNodes.map(clusterNode));
  try {
    await new Promise<void>((resolve, reject) => {
      cluster.once("ready", resolve);
      cluster.once("error", reject);
    });
    const deleted = await Promise.all(cluster.nodes("master").map((master) => deleteKeysOn(master, prefix)));
    return deleted.reduce((sum, count) => sum + count, 0);
  } finally {
    cluster.disconnect();
  }
}

async function deleteKeysOn(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    // One key per command: the keys of a page may sit in different slots.
    const counts = await Promise.all(keys.map((key) => redis.del(key)));
    deleted += counts.reduce((sum, count) => sum + count, 0);
  } while (cursor !== "0");
  return deleted;
}
