// Tells relay nodes that something in the plan snapshot changed (plan, override, key, app status,
// billing), so they refresh at once instead of at their next poll. Needs Redis; without REDIS_URL the
// relays' periodic poll (PLAN_CACHE_REFRESH_MS) is the only path, which is the single-node default.
import { Redis } from "ioredis";

export const PLAN_CHANGE_CHANNEL = "tollgate:plan-changes";

let publisher: Redis | null | undefined;

function getPublisher(): Redis | null {
  if (publisher === undefined) {
    const url = process.env.REDIS_URL;
    publisher = url ? new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
    publisher?.on("error", () => {
      // A Redis outage must never fail a dashboard write; relays fall back to polling.
    });
  }
  return publisher;
}

/** Fire-and-forget: the change is already committed; a lost notice only delays relays until their poll. */
export function notifyRelaysOfChange(reason: { appId?: string; kind: string }): void {
  const redis = getPublisher();
  if (!redis) return;
  redis.publish(PLAN_CHANGE_CHANNEL, JSON.stringify({ ...reason, atUnixMs: Date.now() })).catch(() => undefined);
}
