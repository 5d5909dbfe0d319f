// What the web app keeps of relays' live usage reports (docs/ARCHITECTURE.md §7, "usage freshness"), and
// the store it keeps them in: memory-live-usage-store.ts in one process, redis-live-usage-store.ts shared
// by web replicas (live-usage-store.ts picks one).
import type { NodeUsageReport } from "@tollgate/relay/protocol";

/** Figures of a period that only grow: what the dashboard and /v1/usage show of them never goes down. */
export const MONOTONIC_FIGURES = [
  "messagesUsed",
  "peakConcurrent",
  "deliveredMessages",
  "egressBytes",
  "egressBlocks",
  "connectionMinutes",
  "overageMessages",
  "overageConnections",
  "softDrops",
  "overageCostMinor",
] as const;
export type MonotonicFigure = (typeof MONOTONIC_FIGURES)[number];
export type ShownFigures = Record<MonotonicFigure, number>;

export interface KeptReport {
  report: NodeUsageReport;
  /** When the web app received it (its own clock: a node's clock only orders that node's reports). */
  receivedAtMs: number;
}

export interface LiveUsageTiming {
  /** A stats call is abandoned after this long (the next read asks again). */
  callTimeoutMs: number;
  /** A read waits this long for the call's answer, then answers with the kept reports. */
  waitMs: number;
  /** A node's figures are late once its last report arrived longer ago than this. */
  lateAfterMs: number;
}

/** The dashboard polls every 2 s: a relay answering within a second keeps every figure under 5 s old. */
export const DEFAULT_LIVE_USAGE_TIMING: LiveUsageTiming = { callTimeoutMs: 2_500, waitMs: 800, lateAfterMs: 5_000 };

/** A node's report is kept this long after it arrived (long past the point where it counts as late). */
export const KEPT_REPORT_TTL_MS = 10 * 60_000;
/** The shown figures outlive their period by this long (late requests still see them). */
export const SHOWN_FIGURES_GRACE_MS = 24 * 60 * 60_000;

export interface LiveUsageStore {
  /**
   * Keeps each node's report unless one the node measured later is kept already. With `allNodes`, the
   * reports come from every node there is: the app's other nodes, kept from earlier answers, are dropped.
   */
  keep(appId: string, reports: NodeUsageReport[], options: { receivedAtMs: number; allNodes: boolean }): Promise<void>;
  /** The app's kept reports, one per node. */
  reports(appId: string): Promise<KeptReport[]>;
  /** Raises the figures shown for the app's period to at least `figures` and returns the highest shown. */
  raiseShown(appId: string, period: { startUnix: number; endUnix: number }, figures: ShownFigures): Promise<ShownFigures>;
}
