// What the dashboard's connection inspector asks of one node: the app's open connections here (the
// oldest `limit`, so the work per call is bounded however many are open) and the app's recently
// closed ones with their close code and reason. Closes are kept in a small ring per app, for a bounded
// number of apps (the app that closed a connection least recently is forgotten first).
import type { Connection } from "./connection";
import type { NodeContext } from "./node-context";
import { Limits } from "./protocol";
import type { ClosedConnection, LiveConnection, NodeConnections } from "./protocol";

function liveConnection(connection: Connection): LiveConnection {
  return {
    connectionId: connection.id,
    peerId: connection.peerId,
    keyId: connection.keyId,
    address: connection.source.address,
    origin: connection.source.origin ?? null,
    connectedAtUnixMs: connection.connectedAtMs,
  };
}

export class RecentCloses {
  /** Per app, oldest first; the map's order is the order apps last closed a connection in. */
  private readonly byApp = new Map<string, ClosedConnection[]>();

  constructor(
    private readonly perApp: number = Limits.recentClosesPerApp,
    private readonly maxApps: number = Limits.recentClosesMaxApps,
  ) {}

  record(connection: Connection, code: number, nowMs: number = Date.now()): void {
    const ring = this.byApp.get(connection.appId) ?? [];
    this.byApp.delete(connection.appId);
    ring.push({ ...liveConnection(connection), closedAtUnixMs: nowMs, code, reason: connection.closeReason });
    if (ring.length > this.perApp) ring.splice(0, ring.length - this.perApp);
    this.byApp.set(connection.appId, ring);
    if (this.byApp.size > this.maxApps) {
      const leastRecent = this.byApp.keys().next().value;
      if (leastRecent !== undefined) this.byApp.delete(leastRecent);
    }
  }

  /** The app's recent closes, newest first. */
  of(appId: string): ClosedConnection[] {
    return [...(this.byApp.get(appId) ?? [])].reverse();
  }
}

export function nodeConnections(context: NodeContext, appId: string, limit: number): NodeConnections {
  // Another node's request carries the limit: it is bounded here too.
  const most = Math.min(Math.max(1, Math.floor(limit)), Limits.connectionsMaxLimit);
  const connections: LiveConnection[] = [];
  for (const connection of context.hub.eachConnectionOf(appId)) {
    if (connections.length >= most) break;
    if (!connection.isClosing) connections.push(liveConnection(connection));
  }
  return { relayId: context.config.relayId, open: context.hub.appConnectionCount(appId), connections, recentlyClosed: context.recentCloses.of(appId) };
}
