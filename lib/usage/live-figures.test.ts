// The active channels shown: the relays' own count across nodes (what maxActiveChannels counts), not
// the nodes' counts summed, which count a channel with subscribers on several nodes once on each.
import type { NodeUsageReport } from "@tollgate/relay/protocol";
import { describe, expect, it } from "vitest";
import { combineReports } from "./live-figures";
import type { KeptReport } from "./live-usage.types";

function kept(relayId: string, activeChannels: number, receivedAtMs: number, appActiveChannels?: number): KeptReport {
  const report: NodeUsageReport = { relayId, measuredAtUnixMs: 1, periodStartUnix: 1_000, connections: 1, activeChannels, peakConcurrent: 1, unflushed: [] };
  return { report: appActiveChannels === undefined ? report : { ...report, appActiveChannels }, receivedAtMs };
}

const combine = (reports: KeptReport[]) => combineReports(reports, { periodStartUnix: 1_000, appliedBatchIds: new Set(), nowMs: 10_000, lateAfterMs: 5_000 });

describe("active channels in live figures", () => {
  it("take the latest answering node's count across nodes", () => {
    // One channel with subscribers on all three nodes, and one more on node b.
    expect(combine([kept("a", 1, 9_000, 2), kept("b", 2, 9_000), kept("c", 1, 9_000)]).activeChannels).toBe(2);
    expect(combine([kept("a", 1, 8_000, 5), kept("b", 2, 9_000, 2), kept("c", 1, 9_000)]).activeChannels).toBe(2);
  });

  it("sum the nodes' own counts from relays that do not report the app's count", () => {
    expect(combine([kept("a", 1, 9_000), kept("b", 2, 9_000)]).activeChannels).toBe(3);
  });
});
