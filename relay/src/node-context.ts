// The parts of one relay node that its roles (upgrade path, pipeline, handlers, checks, heartbeat)
// share. The composition root (server.ts) builds it once; each role takes what it needs from it.
import type { RelayConfig } from "./config";
import type { ConnectionContext } from "./connection";
import type { BillingGate } from "./enforcement/billing-gate";
import type { FrameScheduler } from "./frame-scheduler";
import type { Connection } from "./connection";
import type { RecentCloses } from "./connection-inspector";
import type { LocalHub } from "./hub";
import type { Logger } from "./log";
import type { Meter } from "./metering";
import type { RelayCounters } from "./metrics";
import type { PlanCache } from "./plan-cache";
import type { SnapshotApp } from "./protocol";
import type { RelayState } from "./state/types";

export interface NodeContext {
  readonly config: RelayConfig;
  readonly state: RelayState;
  readonly planCache: PlanCache;
  readonly meter: Meter;
  readonly gate: BillingGate;
  readonly counters: RelayCounters;
  readonly logger: Logger;
  readonly hub: LocalHub;
  /** Each app's recently closed connections on this node (the connection inspector). */
  readonly recentCloses: RecentCloses;
  readonly connectionContext: ConnectionContext;
  /** Runs client frames in each app's fair share of the event loop. */
  readonly frames: FrameScheduler<Connection>;
}

/** When the app's held state was produced (0 when not held): balances reported later supersede it. */
export function stateGeneratedAtMs(context: NodeContext, appId: string): number {
  return context.planCache.generatedAtMs(appId);
}

/** The connection's app as of its latest state, or as it authenticated if it is no longer held. */
export function currentApp(context: NodeContext, appId: string, fallback: SnapshotApp): SnapshotApp {
  return context.planCache.app(appId) ?? fallback;
}
