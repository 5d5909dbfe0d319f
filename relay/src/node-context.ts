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

/** When the current snapshot was generated (0 before the first): balances reported later supersede it. */
export function snapshotGeneratedAtMs(context: NodeContext): number {
  return context.planCache.current?.generatedAtUnixMs ?? 0;
}

/** The connection's app as of the latest snapshot, or as it authenticated if the snapshot lost it. */
export function currentApp(context: NodeContext, appId: string, fallback: SnapshotApp): SnapshotApp {
  return context.planCache.app(appId) ?? fallback;
}
