// One node's connections to Redis and its health. Every store goes through `call`, which answers
// UNAVAILABLE at once while the link is degraded, so a Redis outage costs the hot path nothing: the
// stores fall back to their local view. A frozen Redis (no reply, connection still open) is detected
// by the command timeout; a dead one by the connection closing. A probe then waits for Redis to answer
// again and runs every store's reconciler (pushing the node's local view, which is idempotent) before
// the link is declared healthy.
//
// The link speaks to a standalone Redis (one URL) or to a Redis Cluster (a list of seed nodes). On a
// cluster, pub/sub is sharded (SPUBLISH/SSUBSCRIBE): a topic lives on the shard that owns its slot, so
// a message crosses one shard instead of being broadcast to every cluster node.
import { createHash } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "../../log";

export const UNAVAILABLE: unique symbol = Symbol("redis unavailable");
export type Unavailable = typeof UNAVAILABLE;

/** A connection to a standalone Redis or to a cluster: the stores use only commands both route. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, or the seed nodes of a cluster ("host:port" or "redis://host:port"). */
export type RedisTarget = { url: string } | { clusterNodes: readonly string[] };

export interface RedisLinkOptions {
  target: RedisTarget;
  nodeId: string;
  commandTimeoutMs: number;
  probeIntervalMs: number;
  logger: Logger;
}

export interface LinkHealth {
  degraded: boolean;
  /** How long the current outage has lasted (0 when healthy). */
  degradedForMs: number;
  /** Outages seen since start. */
  outages: number;
  /** Successful reconciliations after an outage. */
  reconciles: number;
}

type Reconciler = () => Promise<void>;

const RECONNECT_MAX_DELAY_MS = 1_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error Redis answered (as opposed to a timeout or a lost connection). */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** A reply that means our command or script is wrong; LOADING, BUSY, READONLY and the like are outages. */
function isCommandBug(error: unknown): boolean {
  return isReplyError(error) && /^(ERR|WRONGTYPE) /.test(message(error));
}

function isNoScript(error: unknown): boolean {
  return isReplyError(error) && message(error).startsWith("NOSCRIPT");
}

export function clusterNode(address: string): { host: string; port: number } {
  const url = new URL(address.includes("://") ? address : `redis://${address}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** The hash tag of a key (what decides its cluster slot), or the key itself when it has none. */
export function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

export class RedisLink {
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
  /** Sharded pub/sub and one script call per slot instead of one per batch. */
  readonly cluster: boolean;
  private degradedSinceMs: number | null = null;
  private outages = 0;
  private reconciles = 0;
  private recovering = false;
  private closed = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly reconcilers: Reconciler[] = [];
  private readonly degradedListeners: Array<() => void> = [];
  private readonly shas = new Map<string, string>();
  /** Bumped by stores whenever their local view changes, so a reconcile that raced a change runs again. */
  localChanges = 0;
  /** Other live relay nodes as last seen in Redis (fair shares during an outage). */
  otherLiveNodes = 0;

  constructor(private readonly options: RedisLinkOptions) {
    const retryStrategy = (times: number) => Math.min(50 * times, RECONNECT_MAX_DELAY_MS);
    const commandOptions = {
      connectionName: `tollgate-relay:${options.nodeId}`,
      commandTimeout: options.commandTimeoutMs,
      // Commands never wait for a reconnect: the stores answer from their local view instead.
      maxRetriesPerRequest: 0,
    };
    const subscriberOptions = { connectionName: `tollgate-relay-sub:${options.nodeId}`, maxRetriesPerRequest: null, autoResubscribe: true };
    const { target } = options;
    if ("clusterNodes" in target) {
      const seeds = target.clusterNodes.map(clusterNode);
      this.cluster = true;
      // A slow topology refresh is not an outage (its "node error" is not listened to, and a loaded host
      // gets seconds for it): failing commands and a cluster that cannot be reached ("error", "close") are.
      const clusterOptions = { clusterRetryStrategy: retryStrategy, slotsRefreshTimeout: Math.max(3_000, 2 * options.commandTimeoutMs) };
      this.command = new Cluster(seeds, { ...clusterOptions, redisOptions: commandOptions });
      this.subscriber = new Cluster(seeds, { ...clusterOptions, redisOptions: subscriberOptions, shardedSubscribers: true });
    } else {
      this.cluster = false;
      this.command = new Redis(target.url, { ...commandOptions, retryStrategy });
      this.subscriber = new Redis(target.url, { ...subscriberOptions, retryStrategy });
    }
    for (const connection of [this.command, this.subscriber]) {
      connection.on("error", (error: unknown) => this.markDegraded(message(error)));
      connection.on("close", () => this.markDegraded("connection closed"));
    }
  }

  /** Publishes on a topic; resolves with the number of subscribers it reached. */
  async publish(redis: RedisClient, topic: string, payload: string): Promise<number> {
    return this.cluster ? Number(await redis.spublish(topic, payload)) : redis.publish(topic, payload);
  }

  /** Listens to topics (all of one slot on a cluster); resolves once Redis confirmed the subscription. */
  async listen(...topics: string[]): Promise<void> {
    if (this.cluster) await this.subscriber.ssubscribe(...topics);
    else await this.subscriber.subscribe(...topics);
  }

  async unlisten(...topics: string[]): Promise<void> {
    if (this.cluster) await this.subscriber.sunsubscribe(...topics);
    else await this.subscriber.unsubscribe(...topics);
  }

  /** Splits work by slot on a cluster (keys sharing a hash tag share a slot); a standalone Redis takes it in one go. */
  bySlot<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
    if (!this.cluster) return items.length === 0 ? [] : [[...items]];
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const tag = hashTag(keyOf(item));
      const group = groups.get(tag);
      if (group) group.push(item);
      else groups.set(tag, [item]);
    }
    return [...groups.values()];
  }

  get degraded(): boolean {
    return this.degradedSinceMs !== null;
  }

  health(nowMs: number = Date.now()): LinkHealth {
    return {
      degraded: this.degraded,
      degradedForMs: this.degradedSinceMs === null ? 0 : nowMs - this.degradedSinceMs,
      outages: this.outages,
      reconciles: this.reconciles,
    };
  }

  onReconcile(reconciler: Reconciler): void {
    this.reconcilers.push(reconciler);
  }

  onDegraded(listener: () => void): void {
    this.degradedListeners.push(listener);
  }

  /** Runs a Redis operation unless the link is degraded; failures degrade the link. */
  async call<T>(operation: (redis: RedisClient) => Promise<T>): Promise<T | Unavailable> {
    if (this.degradedSinceMs !== null || this.closed) return UNAVAILABLE;
    try {
      return await operation(this.command);
    } catch (error) {
      // A script error is a bug, not an outage: surface it.
      if (isCommandBug(error)) throw error;
      this.markDegraded(message(error));
      return UNAVAILABLE;
    }
  }

  /** EVALSHA with a fallback to EVAL when Redis does not know the script (first use, or after a restart). */
  async script(redis: RedisClient, source: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    let sha = this.shas.get(source);
    if (!sha) {
      sha = createHash("sha1").update(source).digest("hex");
      this.shas.set(source, sha);
    }
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (isNoScript(error)) {
        return redis.eval(source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  markDegraded(reason: string): void {
    if (this.closed || this.degradedSinceMs !== null) return;
    this.degradedSinceMs = Date.now();
    this.outages += 1;
    this.options.logger.warn("redis unavailable; serving with the local view", { reason });
    for (const listener of this.degradedListeners) listener();
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeIntervalMs);
    this.probeTimer.unref();
  }

  /** Once Redis answers again, pushes every store's local view, then leaves the degraded state. */
  private async probe(): Promise<void> {
    if (this.recovering || this.closed || this.degradedSinceMs === null) return;
    if (this.command.status !== "ready" || this.subscriber.status !== "ready") return;
    this.recovering = true;
    try {
      await this.command.ping();
      // Changes made while reconciling are pushed by another round; a few rounds always settle.
      for (let round = 0; round < 3; round++) {
        const changesBefore = this.localChanges;
        for (const reconcile of this.reconcilers) await reconcile();
        if (changesBefore === this.localChanges) break;
      }
      const downMs = Date.now() - this.degradedSinceMs;
      this.degradedSinceMs = null;
      this.reconciles += 1;
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = null;
      this.options.logger.info("redis available again; local view reconciled", { downMs });
    } catch (error) {
      this.options.logger.debug("redis still unavailable", { error: message(error) });
    } finally {
      this.recovering = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    await Promise.all(
      [this.command, this.subscriber].map(async (connection) => {
        try {
          await Promise.race([connection.quit(), new Promise((resolve) => setTimeout(resolve, this.options.commandTimeoutMs))]);
        } catch {
          // Already closed or unreachable: disconnect below is all that is left to do.
        }
        connection.disconnect();
      }),
    );
  }
}
