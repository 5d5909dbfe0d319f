// The relays' live view of an app for usage responses (docs/ARCHITECTURE.md §7, "usage freshness"). Every
// read asks the relays again, but never piles calls up on a busy one: at most one stats call per app is
// out per web process, a read waits for it only briefly, and an answer that comes later is still kept
// for the next read. Reads answer with every node's last report, however old: a late node's figures
// stay on show (marked late) rather than dropping to the saved totals.
import { getRelayClient } from "@/lib/relay/get-relay-client";
import { type RelayClient, RelayUnknownAppError } from "@/lib/relay/relay-client";
import { getLiveUsageStore } from "./live-usage-store";
import { DEFAULT_LIVE_USAGE_TIMING, type KeptReport, type LiveUsageStore, type LiveUsageTiming, type ShownFigures } from "./live-usage.types";

export interface LiveUsageRead {
  reports: KeptReport[];
  /** A relay answered this read's call in time (with reports, or saying it has not loaded the app). */
  relayAnswered: boolean;
  atMs: number;
}

export interface LiveUsageSource {
  readonly timing: LiveUsageTiming;
  read(appId: string): Promise<LiveUsageRead>;
  /** Raises the figures shown for the app's period to at least `figures`; returns the highest shown. */
  raiseShown(appId: string, period: { startUnix: number; endUnix: number }, figures: ShownFigures): Promise<ShownFigures>;
}

type CallOutcome = "answered" | "unknown_app" | "failed";

/** Resolves with `promise`'s value, or with `fallback` after `ms` (the timer does not outlive the race). */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function createLiveUsageSource(options: { relay: RelayClient; store: LiveUsageStore; timing?: Partial<LiveUsageTiming>; now?: () => number }): LiveUsageSource {
  const timing = { ...DEFAULT_LIVE_USAGE_TIMING, ...options.timing };
  const now = options.now ?? Date.now;
  const calls = new Map<string, Promise<CallOutcome>>();

  async function ask(appId: string): Promise<CallOutcome> {
    try {
      const stats = await options.relay.stats(appId, timing.callTimeoutMs);
      await options.store.keep(appId, stats.nodes, { receivedAtMs: now(), allNodes: stats.allNodesAnswered });
      return "answered";
    } catch (error) {
      return error instanceof RelayUnknownAppError ? "unknown_app" : "failed";
    }
  }

  return {
    timing,
    async read(appId) {
      let call = calls.get(appId);
      if (!call) {
        call = ask(appId).finally(() => calls.delete(appId));
        calls.set(appId, call);
      }
      const outcome = await within(call, timing.waitMs, "waiting" as const);
      return { reports: await options.store.reports(appId), relayAnswered: outcome === "answered" || outcome === "unknown_app", atMs: now() };
    },
    raiseShown: (appId, period, figures) => options.store.raiseShown(appId, period, figures),
  };
}

let source: LiveUsageSource | undefined;

/** The process's source: the relay at RELAY_INTERNAL_URL, the store REDIS_URL chooses. */
export function getLiveUsageSource(): LiveUsageSource {
  source ??= createLiveUsageSource({ relay: getRelayClient(), store: getLiveUsageStore() });
  return source;
}
