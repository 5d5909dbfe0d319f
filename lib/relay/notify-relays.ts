// Tells relay nodes that something in the plan snapshot changed (plan, override, key, app status,
// billing), so they refresh at once instead of at their next poll (PLAN_CACHE_REFRESH_MS, the fallback).
// With REDIS_URL every node hears the notice on Redis pub/sub; without it (the single-node default) the
// notice is POSTed to the one relay at RELAY_INTERNAL_URL.
import { PLAN_CHANGE_CHANNEL, type PlanChangeNotice } from "@tollgate/relay/protocol";
import { Redis } from "ioredis";
import { getRelayClient } from "./get-relay-client";

let publisher: Redis | null | undefined;

function getPublisher(): Redis | null {
  if (publisher === undefined) {
    const url = process.env.REDIS_URL;
    // The offline queue holds a notice while the connection is (re)established, so the first one after
    // start is not lost; maxRetriesPerRequest bounds how long it waits during an outage.
    publisher = url ? new Redis(url, { maxRetriesPerRequest: 1 }) : null;
    publisher?.on("error", () => {
      // A Redis outage must never fail a dashboard write; relays fall back to polling.
    });
  }
  return publisher;
}

function notifyRelayDirectly(notice: PlanChangeNotice): void {
  try {
    getRelayClient().notifyPlanChanged(notice).catch(() => undefined);
  } catch {
    // No relay configured in this process (seed script, domain unit tests): relays rely on their poll.
  }
}

/** Fire-and-forget: the change is already committed; a lost notice only delays relays until their poll. */
export function notifyRelaysOfChange(reason: Omit<PlanChangeNotice, "atUnixMs">): void {
  const notice: PlanChangeNotice = { ...reason, atUnixMs: Date.now() };
  const redis = getPublisher();
  if (!redis) {
    notifyRelayDirectly(notice);
    return;
  }
  const channel = process.env.REDIS_PLAN_CHANGE_CHANNEL || PLAN_CHANGE_CHANNEL;
  redis.publish(channel, JSON.stringify(notice)).catch(() => undefined);
}
