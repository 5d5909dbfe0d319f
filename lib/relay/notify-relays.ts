// Tells relay nodes that the change feed (relay-feed.ts) has a new version, so they poll it at once
// instead of at their next poll (PLAN_CACHE_REFRESH_MS, the fallback). The feed is the source of truth,
// written in the change's transaction; this notice only shortens the wait, and a lost one costs nothing
// but that. With REDIS_URL every node hears the notice on Redis pub/sub; without it (the single-node
// default) the notice is POSTed to the one relay at RELAY_INTERNAL_URL.
//
// Notices are debounced per app: the first of a burst goes out at once, the rest within
// NOTICE_INTERVAL_MS coalesce into one trailing notice.
import { PLAN_CHANGE_CHANNEL, type PlanChangeNotice } from "@tollgate/relay/protocol";
import { Redis } from "ioredis";
import { getRelayClient } from "./get-relay-client";

/** At most one notice per app (and one for changes of no single app, such as a plan) in this interval. */
export const NOTICE_INTERVAL_MS = 1_000;

type ChangeReason = Omit<PlanChangeNotice, "atUnixMs">;

/** How long closing waits for Redis to confirm what was published before dropping the connection. */
const CLOSE_TIMEOUT_MS = 2_000;

let publisher: Redis | null | undefined;

/** An app's open interval: a change within it is held here (the latest wins) until the interval ends. */
interface NoticeWindow {
  held: ChangeReason | null;
  timer: NodeJS.Timeout;
}
const windows = new Map<string, NoticeWindow>();

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

function send(reason: ChangeReason): void {
  const notice: PlanChangeNotice = { ...reason, atUnixMs: Date.now() };
  const redis = getPublisher();
  if (!redis) {
    notifyRelayDirectly(notice);
    return;
  }
  const channel = process.env.REDIS_PLAN_CHANGE_CHANNEL || PLAN_CHANGE_CHANNEL;
  redis.publish(channel, JSON.stringify(notice)).catch(() => undefined);
}

function openWindow(scope: string): void {
  const window: NoticeWindow = { held: null, timer: setTimeout(() => endWindow(scope, window), NOTICE_INTERVAL_MS) };
  // A pending trailing notice must not keep a script alive: relays would pick the change up at their poll.
  window.timer.unref();
  windows.set(scope, window);
}

function endWindow(scope: string, window: NoticeWindow): void {
  windows.delete(scope);
  if (!window.held) return;
  send(window.held);
  openWindow(scope);
}

/** Fire-and-forget: the change is already committed; a lost notice only delays relays until their poll. */
export function notifyRelaysOfChange(reason: ChangeReason): void {
  const scope = reason.appId ?? "";
  const open = windows.get(scope);
  if (open) {
    open.held = reason;
    return;
  }
  send(reason);
  openWindow(scope);
}

/**
 * Sends the held notices now and closes the Redis connection, which would otherwise keep the process
 * alive: scripts (the seed) call this before they end. A later notice opens a new connection.
 */
export async function closeRelayNotifier(): Promise<void> {
  for (const window of windows.values()) {
    clearTimeout(window.timer);
    if (window.held) send(window.held);
  }
  windows.clear();
  const redis = publisher;
  publisher = undefined;
  if (!redis) return;
  const timeout = new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
  await Promise.race([redis.quit().catch(() => undefined), timeout]);
  redis.disconnect();
}
