// Turns the relay nodes' kept reports into live figures: each node's connections as last reported, and the
// counts in usage batches the control plane has not applied yet (each batch once, however many reports
// name it: a node restarted on the same data directory reports its predecessor's batches again).
import type { UnflushedUsage } from "@tollgate/relay/protocol";
import type { KeptReport } from "./live-usage.types";

const COUNTS = ["messagesAccepted", "deliveredMessages", "egressBytes", "egressBlocks", "connectionMinutes", "overageMessages", "overageConnections", "softDrops"] as const;
export type UnappliedCounts = Record<(typeof COUNTS)[number], number>;

export interface NodeFreshness {
  relayId: string;
  /** When its last report arrived. */
  receivedAtMs: number;
  /** Its last report is older than the lateness threshold. */
  late: boolean;
}

export interface LiveFigures {
  /** Connections open now: the sum of each node's last report (a late node's as it last said). */
  concurrentNow: number;
  /**
   * Channels with a subscriber now across nodes, as the relays' shared state counts them for
   * maxActiveChannels (the latest answering node's count); from relays that do not report that count,
   * the nodes' own counts summed (a channel with subscribers on two nodes counts on each).
   */
  activeChannels: number;
  /** The highest peak a report of the period names. */
  peakConcurrent: number;
  unapplied: UnappliedCounts;
  nodes: NodeFreshness[];
}

function entriesOfPeriod(kept: KeptReport[], periodStartUnix: number): UnflushedUsage[] {
  return kept.flatMap((entry) => entry.report.unflushed.filter((usage) => usage.periodStartUnix === periodStartUnix));
}

/** The batch ids the reports name for the period: the caller asks the database which of them it applied. */
export function reportedBatchIds(kept: KeptReport[], periodStartUnix: number): string[] {
  return [...new Set(entriesOfPeriod(kept, periodStartUnix).map((usage) => usage.batchId))];
}

function appActiveChannels(kept: KeptReport[]): number {
  let latest: KeptReport | undefined;
  for (const entry of kept) {
    if (entry.report.appActiveChannels !== undefined && (!latest || entry.receivedAtMs > latest.receivedAtMs)) latest = entry;
  }
  return latest?.report.appActiveChannels ?? kept.reduce((sum, entry) => sum + entry.report.activeChannels, 0);
}

export function combineReports(
  kept: KeptReport[],
  options: { periodStartUnix: number; appliedBatchIds: ReadonlySet<string>; nowMs: number; lateAfterMs: number },
): LiveFigures {
  // A batch's counts only grow while it is filled, so the largest of each count is its latest.
  const batches = new Map<string, UnflushedUsage>();
  for (const usage of entriesOfPeriod(kept, options.periodStartUnix)) {
    if (options.appliedBatchIds.has(usage.batchId)) continue;
    const seen = batches.get(usage.batchId);
    if (!seen) batches.set(usage.batchId, { ...usage });
    else for (const count of [...COUNTS, "peakConcurrent"] as const) seen[count] = Math.max(seen[count], usage[count]);
  }
  const unapplied = Object.fromEntries(COUNTS.map((count) => [count, 0])) as UnappliedCounts;
  let peakConcurrent = 0;
  for (const usage of batches.values()) {
    for (const count of COUNTS) unapplied[count] += usage[count];
    peakConcurrent = Math.max(peakConcurrent, usage.peakConcurrent);
  }
  for (const { report } of kept) if (report.periodStartUnix === options.periodStartUnix) peakConcurrent = Math.max(peakConcurrent, report.peakConcurrent);
  return {
    concurrentNow: kept.reduce((sum, entry) => sum + entry.report.connections, 0),
    activeChannels: appActiveChannels(kept),
    peakConcurrent,
    unapplied,
    nodes: kept.map((entry) => ({ relayId: entry.report.relayId, receivedAtMs: entry.receivedAtMs, late: options.nowMs - entry.receivedAtMs > options.lateAfterMs })),
  };
}
