// Connection leases in Redis: one set of connection ids per (app, node), each node's sets kept alive
// by its heartbeat. A node that crashes stops heartbeating and its leases stop counting once the lease
// TTL passes. While Redis is unreachable the node decides with its own leases plus the other nodes'
// count it last saw, presuming that every other live node admitted as many new connections as it did
// since the outage began (a fair share of the free slots), and replaces its Redis leases with its
// local set when Redis returns.
import type { ConnectionLeaseStore, LeaseResult } from "../types";
import { UNAVAILABLE } from "./link";
import type { RedisLink } from "./link";
import type { RedisKeys } from "./keys";
import { LEASE_ACQUIRE, LEASE_COUNT, LEASE_RELEASE, LEASE_RENEW, LEASE_REPLACE } from "./scripts";

function isPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "number";
}

export class RedisLeaseStore implements ConnectionLeaseStore {
  /** This node's leases: the truth pushed to Redis after an outage. */
  private readonly own = new Map<string, Set<string>>();
  /** Other nodes' lease count per app as last seen in Redis (the outage fallback). */
  private readonly othersSeen = new Map<string, number>();
  /** Leases taken per app during the current outage. */
  private readonly acquiredInOutage = new Map<string, number>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly leaseTtlMs: number,
  ) {
    link.onReconcile(() => this.reconcile());
  }

  private ownCount(appId: string): number {
    return this.own.get(appId)?.size ?? 0;
  }

  private remember(appId: string, connectionId: string): void {
    let leases = this.own.get(appId);
    if (!leases) {
      leases = new Set();
      this.own.set(appId, leases);
    }
    leases.add(connectionId);
    this.link.localChanges += 1;
  }

  private forget(appId: string, connectionId: string): void {
    const leases = this.own.get(appId);
    if (!leases?.delete(connectionId)) return;
    if (leases.size === 0) this.own.delete(appId);
    this.link.localChanges += 1;
  }

  /** A global count read elsewhere (the heartbeat), kept for the outage fallback. */
  observe(appId: string, globalCount: number): void {
    this.seen(appId, globalCount);
  }

  private seen(appId: string, globalCount: number): void {
    this.othersSeen.set(appId, Math.max(0, globalCount - this.ownCount(appId)));
  }

  async acquire(appId: string, connectionId: string, limit: number | null): Promise<LeaseResult> {
    const firstOfApp = !this.own.has(appId);
    const result = await this.link.call((redis) => {
      // The app is listed before its lease exists, so a reconcile never misses a lease in Redis.
      if (firstOfApp) void redis.sadd(this.keys.nodeLeaseApps(this.nodeId), appId).catch(() => undefined);
      return this.link.script(redis, LEASE_ACQUIRE, [this.keys.lease(appId)], [this.nodeId, connectionId, limit ?? -1, this.leaseTtlMs]);
    });
    if (result !== UNAVAILABLE) {
      if (!isPair(result)) throw new Error("unexpected lease reply");
      const [acquired, count] = result;
      if (acquired === 1) this.remember(appId, connectionId);
      this.seen(appId, count);
      return { acquired: acquired === 1, count };
    }
    // Outage: decide with the local view; the lease is registered in Redis when it returns.
    const acquiredInOutage = this.acquiredInOutage.get(appId) ?? 0;
    const local = this.ownCount(appId) + (this.othersSeen.get(appId) ?? 0);
    if (this.own.get(appId)?.has(connectionId)) return { acquired: true, count: local };
    const presumedOthers = this.link.otherLiveNodes * acquiredInOutage;
    if (limit !== null && local + presumedOthers >= limit) return { acquired: false, count: local };
    this.remember(appId, connectionId);
    this.acquiredInOutage.set(appId, acquiredInOutage + 1);
    return { acquired: true, count: local + 1 };
  }

  async release(appId: string, connectionId: string): Promise<void> {
    this.forget(appId, connectionId);
    const lastOfApp = !this.own.has(appId);
    await this.link.call(async (redis) => {
      await this.link.script(redis, LEASE_RELEASE, [this.keys.lease(appId)], [this.nodeId, connectionId]);
      if (lastOfApp) await redis.srem(this.keys.nodeLeaseApps(this.nodeId), appId);
    });
  }

  /** Extends this node's leases (the heartbeat) and refreshes the outage view with each app's global count. */
  async renew(): Promise<void> {
    await Promise.all(
      [...this.own.keys()].map(async (appId) => {
        const count = await this.link.call((redis) => this.link.script(redis, LEASE_RENEW, [this.keys.lease(appId)], [this.nodeId, this.leaseTtlMs]));
        if (typeof count === "number") this.seen(appId, count);
      }),
    );
  }

  async count(appId: string): Promise<number> {
    const result = await this.link.call((redis) => this.link.script(redis, LEASE_COUNT, [this.keys.lease(appId)], []));
    if (result === UNAVAILABLE) return this.ownCount(appId) + (this.othersSeen.get(appId) ?? 0);
    if (typeof result !== "number") throw new Error("unexpected lease count reply");
    this.seen(appId, result);
    return result;
  }

  /** Replaces this node's leases in Redis with the local set (idempotent), app by app. */
  private async reconcile(): Promise<void> {
    const redis = this.link.command;
    const appsKey = this.keys.nodeLeaseApps(this.nodeId);
    const listed = await redis.smembers(appsKey);
    const apps = new Set([...listed, ...this.own.keys()]);
    if (this.own.size > 0) await redis.sadd(appsKey, ...this.own.keys());
    await Promise.all(
      [...apps].map((appId) => this.link.script(redis, LEASE_REPLACE, [this.keys.lease(appId)], [this.nodeId, this.leaseTtlMs, ...(this.own.get(appId) ?? [])])),
    );
    const gone = listed.filter((appId) => !this.own.has(appId));
    if (gone.length > 0) await redis.srem(appsKey, ...gone);
    this.acquiredInOutage.clear();
  }
}
