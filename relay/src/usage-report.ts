// A node's live usage of one app, for the control plane's stats call (docs/ARCHITECTURE.md §7): the
// app's connections here, this node's view of the period's peak, and every count not yet acknowledged
// by the control plane, batch by batch. The control plane adds the batches it has not applied to its
// saved totals, so billable counters reach the dashboard without waiting for a usage flush.
import type { ConnectionLifecycle } from "./lifecycle";
import type { NodeContext } from "./node-context";
import type { NodeUsageReport } from "./protocol";

export function nodeUsageReport(context: NodeContext, lifecycle: ConnectionLifecycle, appId: string): NodeUsageReport {
  // A connection's next minute counts from the moment it starts, not from the next flush.
  lifecycle.accrueConnectionMinutesOf(context.hub.eachConnectionOf(appId));
  const app = context.planCache.app(appId);
  return {
    relayId: context.config.relayId,
    measuredAtUnixMs: Date.now(),
    // 0: the app is not in this node's snapshot (nothing of it is open here).
    periodStartUnix: app?.period.startUnix ?? 0,
    connections: context.hub.appConnectionCount(appId),
    activeChannels: context.hub.activeChannelCount(appId),
    peakConcurrent: app ? lifecycle.peakConcurrent(app) : 0,
    unflushed: context.meter.unflushed(appId),
  };
}
