// Where the web app keeps what relays last told it about an app's usage (docs/ARCHITECTURE.md §7, "usage
// freshness"): each relay node's last report with the time it arrived, and per app and billing period
// the highest figures shown so far, so a figure never goes back within a period. With REDIS_URL set
// every web replica shares them (redis-live-usage-store.ts); without it (one web process) they live in
// the process. If Redis stops answering, a replica keeps them in its own memory until it answers again.
import type { NodeUsageReport } from "@tollgate/relay/protocol";
import { getWebRedis, sharedOrLocal, warnRedisUnavailable } from "@/lib/redis/web-redis";
import type { KeptReport, LiveUsageStore, ShownFigures } from "./live-usage.types";
import { MemoryLiveUsageStore } from "./memory-live-usage-store";
import { RedisLiveUsageStore } from "./redis-live-usage-store";

class SharedWithLocalFallback implements LiveUsageStore {
  constructor(
    private readonly shared: LiveUsageStore,
    private readonly local: LiveUsageStore,
  ) {}

  private either<T>(run: (store: LiveUsageStore) => Promise<T>): Promise<T> {
    return sharedOrLocal(this.shared, this.local, run);
  }

  async keep(appId: string, reports: NodeUsageReport[], options: { receivedAtMs: number; allNodes: boolean }): Promise<void> {
    // Locally too, so a Redis outage starts from the last answers rather than from nothing.
    await this.local.keep(appId, reports, options);
    await this.either((store) => store.keep(appId, reports, options));
  }

  reports(appId: string): Promise<KeptReport[]> {
    return this.either((store) => store.reports(appId));
  }

  async raiseShown(appId: string, period: { startUnix: number; endUnix: number }, figures: ShownFigures): Promise<ShownFigures> {
    // What this replica showed is raised locally as well, so neither an outage nor its end takes a figure back.
    const local = await this.local.raiseShown(appId, period, figures);
    try {
      return await this.shared.raiseShown(appId, period, local);
    } catch (error) {
      warnRedisUnavailable(error);
      return local;
    }
  }
}

const globalForStore = globalThis as unknown as { tollgateLiveUsageStore?: LiveUsageStore };

export function getLiveUsageStore(): LiveUsageStore {
  if (!globalForStore.tollgateLiveUsageStore) {
    const local = new MemoryLiveUsageStore();
    const redis = getWebRedis();
    globalForStore.tollgateLiveUsageStore = redis ? new SharedWithLocalFallback(new RedisLiveUsageStore(redis), local) : local;
  }
  return globalForStore.tollgateLiveUsageStore;
}
