// A connection's life on this node after its upgrade was admitted: opening (hub, counters, metering,
// welcome, token expiry, the ws listeners that feed the pipeline) and closing (hub, counters,
// connection-minutes, presence, lease). Also the node's own view of each app's peak concurrency.
import type { RawData, WebSocket } from "ws";
import type { Identity } from "./auth";
import { Connection, type ConnectionSource } from "./connection";
import { ExpirySchedule } from "./expiry-schedule";
import { leaveAllPresence } from "./handlers";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { currentApp } from "./node-context";
import { onFrame } from "./pipeline";
import { Disconnect, ServerFrame, ServerFrameType } from "./protocol";
import type { SnapshotApp } from "./protocol";

const CONNECTION = Symbol("connection");
type ConnectionSocket = WebSocket & { [CONNECTION]: Connection };

function connectionOf(ws: WebSocket): Connection {
  return (ws as ConnectionSocket)[CONNECTION];
}

export class ConnectionLifecycle {
  /** Highest concurrent count seen per app this period (the stats endpoint reports it). */
  private readonly observedPeaks = new Map<string, { periodStartUnix: number; peak: number }>();

  /** Closes each connection with token_expired (4002) when its token expires, less the configured lead. */
  private readonly expiries = new ExpirySchedule<Connection>((connection) => connection.close(Disconnect.TokenExpired));

  /**
   * The ws listeners, shared by every connection: each finds its connection on the socket (`this`), so
   * a connect allocates no closures.
   */
  private readonly listeners: {
    message: (this: WebSocket, data: RawData, isBinary: boolean) => void;
    pong: (this: WebSocket) => void;
    error: (this: WebSocket, error: Error & { code?: string }) => void;
    close: (this: WebSocket, code: number) => void;
  };

  constructor(private readonly context: NodeContext) {
    const closed = (connection: Connection, code: number) => void this.closed(connection, code);
    this.listeners = {
      message(data, isBinary) {
        onFrame(context, connectionOf(this), data, isBinary);
      },
      pong() {
        connectionOf(this).awaitingPongSinceMs = null;
      },
      error(error) {
        const connection = connectionOf(this);
        if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") connection.closeCode ??= Disconnect.MessageTooBig.code;
        context.logger.debug("socket error", { connectionId: connection.id, error: error.message });
      },
      close(code) {
        closed(connectionOf(this), code);
      },
    };
  }

  close(): void {
    this.expiries.close();
  }

  /** Peak concurrent connections this period: the control plane's figure or what this node saw, whichever is higher. */
  peakConcurrent(app: SnapshotApp): number {
    const observed = this.observedPeaks.get(app.appId);
    return Math.max(app.usage.peakConcurrent, observed && observed.periodStartUnix === app.period.startUnix ? observed.peak : 0);
  }

  open(ws: WebSocket, identity: Identity, connectionId: string, concurrentCount: number, source: ConnectionSource): void {
    const { context } = this;
    const connection = new Connection(connectionId, ws, identity, context.connectionContext, context.config.timing.tokenExpiryLeadMs, source);
    context.hub.add(connection);
    context.counters.connectionsOpen += 1;
    RelayCounters.bump(context.counters.appConnections, connection.appId);
    RelayCounters.bump(context.counters.connectionAttempts, "welcome");
    const period = identity.app.period.startUnix;
    context.meter.concurrent(connection.appId, period, concurrentCount);
    const observed = this.observedPeaks.get(connection.appId);
    if (!observed) this.observedPeaks.set(connection.appId, { periodStartUnix: period, peak: concurrentCount });
    else if (observed.periodStartUnix !== period) Object.assign(observed, { periodStartUnix: period, peak: concurrentCount });
    else if (observed.peak < concurrentCount) observed.peak = concurrentCount;
    // Each started minute of an open connection counts one; the first starts now.
    context.meter.connectionMinutes(connection.appId, period, 1);

    (ws as ConnectionSocket)[CONNECTION] = connection;
    ws.on("message", this.listeners.message);
    ws.on("pong", this.listeners.pong);
    ws.on("error", this.listeners.error);
    ws.on("close", this.listeners.close);

    const serverTimeUnix = Math.floor(Date.now() / 1000);
    connection.sendFrame(ServerFrameType.Welcome, ServerFrame.welcome({ peerId: connection.peerId, expiresAt: identity.expiresAt, serverTimeUnix, metadataJson: identity.metadataJson }));

    if (connection.closeAtMs !== null) this.expiries.add(connection, connection.closeAtMs);
    context.logger.debug("connection opened", { connectionId, appId: connection.appId, keyId: connection.keyId, peerId: connection.peerId });
  }

  private async closed(connection: Connection, peerCode: number): Promise<void> {
    const { context } = this;
    if (connection.closed) return;
    connection.closed = true;
    if (connection.closeAtMs !== null) this.expiries.remove(connection, connection.closeAtMs);
    const code = connection.closeCode ?? peerCode;
    context.hub.remove(connection);
    context.counters.connectionsOpen -= 1;
    const appCount = (context.counters.appConnections.get(connection.appId) ?? 1) - 1;
    if (appCount > 0) context.counters.appConnections.set(connection.appId, appCount);
    else context.counters.appConnections.delete(connection.appId);
    RelayCounters.bump(context.counters.closes, String(code));
    context.recentCloses.record(connection, code);
    const snapshotApp = currentApp(context, connection.appId, connection.identity.app);
    this.accrueMinutesFor(connection, snapshotApp);
    context.meter.closed(connection.appId, snapshotApp.period.startUnix, code);
    try {
      await leaveAllPresence(context, connection);
      await context.state.leases.release(connection.appId, connection.id);
      const stillOpen = context.hub.hasApp(connection.appId) ? await context.state.leases.count(connection.appId) : 0;
      context.meter.concurrent(connection.appId, snapshotApp.period.startUnix, stillOpen);
    } catch (error) {
      context.logger.error("state cleanup failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private accrueMinutesFor(connection: Connection, app: SnapshotApp, nowMs: number = Date.now()): void {
    const started = Math.floor((nowMs - connection.connectedAtMs) / 60_000) + 1;
    if (started > connection.connectionMinutesCounted) {
      this.context.meter.connectionMinutes(connection.appId, app.period.startUnix, started - connection.connectionMinutesCounted);
      connection.connectionMinutesCounted = started;
    }
  }

  /** Reports every app's current connection count, so the per-minute peaks follow other nodes' changes too. */
  async sampleConcurrency(): Promise<void> {
    for (const { appId, anyConnection, size } of [...this.context.hub.eachApp()]) {
      const snapshotApp = currentApp(this.context, appId, anyConnection.identity.app);
      this.context.meter.concurrent(appId, snapshotApp.period.startUnix, await this.context.state.leases.count(appId).catch(() => size));
    }
  }

  /** Counts the started minutes of every open connection (before each usage flush and at shutdown). */
  accrueConnectionMinutes(): void {
    this.accrueConnectionMinutesOf(this.context.hub.eachConnection());
  }

  /** Counts the started minutes of these connections now (a live report shows a minute once it starts). */
  accrueConnectionMinutesOf(connections: Iterable<Connection>): void {
    const nowMs = Date.now();
    for (const connection of connections) {
      this.accrueMinutesFor(connection, currentApp(this.context, connection.appId, connection.identity.app), nowMs);
    }
  }
}
