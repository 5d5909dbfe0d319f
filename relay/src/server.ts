// The relay's composition root: one HTTP server carrying the `/v1` WebSocket endpoint (upgrade.ts),
// health/readiness/metrics and the control plane's internal endpoints (http-routes.ts), wired to the
// control-plane client, plan cache, meter, billing gate, local hub and shared state; plus the timers and the ordered
// shutdown. Each role lives in its own module: upgrade path (upgrade.ts), connection lifecycle
// (lifecycle.ts), connection and its writer (connection.ts), local hub (hub.ts), frame pipeline
// (pipeline.ts), handlers (handlers.ts), channel access (channel-access.ts), live-credential checks
// (credential-checks.ts), heartbeat (heartbeat.ts). docs/ARCHITECTURE.md §5 gives the order of checks.
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { RelayConfig } from "./config";
import type { ConnectionContext } from "./connection";
import { RecentCloses, nodeConnections } from "./connection-inspector";
import { ControlPlaneClient } from "./control-plane-client";
import { enforceCredentials, nextKeyExpiryMs } from "./credential-checks";
import { BillingGate } from "./enforcement/billing-gate";
import { PendingRequests, headersTimeoutOptions } from "./enforcement/pending-requests";
import { socketBudget } from "./enforcement/socket-budget";
import { restPublish } from "./handlers";
import { pingSweep } from "./heartbeat";
import { handleHttpRequest } from "./http-routes";
import type { InternalApiNode } from "./http-routes";
import { LocalHub } from "./hub";
import { ConnectionLifecycle } from "./lifecycle";
import { createLogger } from "./log";
import type { Logger } from "./log";
import { Meter } from "./metering";
import { RelayCounters, createMetricsRegistry } from "./metrics";
import type { NodeContext } from "./node-context";
import { createFrameScheduler } from "./pipeline";
import { PlanCache } from "./plan-cache";
import { Disconnect, ServerFrame, ServerFrameType } from "./protocol";
import type { SnapshotApp } from "./protocol";
import { createMemoryState } from "./state/memory";
import type { RelayState } from "./state/types";
import { unrefTimerAt } from "./timer-at";
import { UpgradePath } from "./upgrade";
import { nodeUsageReport } from "./usage-report";

const MAX_CLOSE_WAIT_MS = 2_000;
/** A token may carry 8 KB metadata + 4 KB peerMetadata, base64url-encoded in the query string: more than Node's default 16 KB header limit. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface StartRelayOptions {
  /** Shared state (the Redis implementation for several nodes); defaults to in-memory single-node state. */
  state?: RelayState;
  logger?: Logger;
  /** Process-level default metrics (only for the real process; tests start several relays). */
  defaultMetrics?: boolean;
}

export interface RelayHandle {
  port: number;
  /** ws://host:port (no path), the form the SDK's `url` option expects. */
  url: string;
  httpUrl: string;
  /** Graceful: going_away, 1001, final usage flush. */
  close(): Promise<void>;
  /** Poll the change feed now (and ask again for the held apps it names). */
  refreshNow(): Promise<boolean>;
  /** Cut and post the current usage now. */
  flushUsage(): Promise<void>;
  /** Connections open on this node. */
  connectionCount(): number;
}

class RelayServer {
  private readonly context: NodeContext;
  private readonly planCache: PlanCache;
  private readonly meter: Meter;
  private readonly hub: LocalHub;
  private readonly lifecycle: ConnectionLifecycle;
  private readonly upgrades: UpgradePath;
  private readonly httpServer: Server;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Closes the connections of the next key to expire, at its expiry. */
  private keyExpiryTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;

  constructor(
    private readonly config: RelayConfig,
    private readonly state: RelayState,
    private readonly ownsState: boolean,
    private readonly logger: Logger,
    defaultMetrics: boolean,
  ) {
    const counters = new RelayCounters();
    const controlPlane = new ControlPlaneClient({ baseUrl: config.controlPlaneUrl, relaySecret: config.relaySecret, timeoutMs: config.timing.controlPlaneTimeoutMs });
    const planCache = new PlanCache({
      controlPlane,
      relaySecret: config.relaySecret,
      dataDir: config.dataDir,
      logger,
      appLingerMs: config.timing.appLingerMs,
      unknownKeyCacheMs: config.timing.unknownKeyCacheMs,
      periodEndSpreadMs: config.timing.periodEndSpreadMs,
      inUse: (appId) => this.hub.hasApp(appId),
    });
    const meter: Meter = new Meter({
      relayId: config.relayId,
      controlPlane,
      dataDir: config.dataDir,
      logger,
      onSending: (batch) => {
        for (const app of batch.apps) state.counters.sent(app.appId, app.periodStartUnix, app.messagesAccepted);
      },
      onAcknowledged: (batch, response) => {
        // The control plane's period count (which contains the batch) replaces the batch in one step.
        const periodTotal = new Map(response.periods.map((p) => [`${p.appId}\u0000${p.periodStartUnix}`, p.messagesUsed]));
        for (const app of batch.apps) {
          const total = periodTotal.get(`${app.appId}\u0000${app.periodStartUnix}`) ?? 0;
          state.counters.acknowledge(app.appId, app.periodStartUnix, app.messagesAccepted, total);
        }
        for (const app of response.apps) gate.reportBalance(app.appId, app.balanceMinor, response.asOfUnixMs);
      },
    });
    const gate = new BillingGate({
      state,
      meter,
      controlPlane,
      rechargeTimeoutMs: config.timing.rechargeTimeoutMs,
      rechargeRetryCooldownMs: config.timing.rechargeRetryCooldownMs,
      logger,
    });
    const connectionContext: ConnectionContext = {
      sendBufferLimitBytes: config.sendBufferLimitBytes,
      slowConsumerTerminateMs: config.timing.slowConsumerTerminateMs,
      closeWaitMs: MAX_CLOSE_WAIT_MS,
      counters,
      logger,
    };
    this.planCache = planCache;
    this.meter = meter;
    this.hub = new LocalHub({ interest: state.bus, counters, planCache, meter });
    const frames = createFrameScheduler(() => this.context);
    this.context = { config, state, planCache, meter, gate, counters, logger, hub: this.hub, recentCloses: new RecentCloses(), connectionContext, frames };
    this.lifecycle = new ConnectionLifecycle(this.context);
    this.upgrades = new UpgradePath(this.context, this.lifecycle);

    const metricsRegistry = createMetricsRegistry(
      {
        counters,
        planCacheAgeSeconds: () => (planCache.lastConfirmedAtMs === null ? -1 : (Date.now() - planCache.lastConfirmedAtMs) / 1000),
        usageFlushLagSeconds: () => meter.flushLagMs() / 1000,
        appMessagesUsed: () => [...planCache.apps()].map((app) => ({ appId: app.appId, used: state.counters.total(app.appId, app.period.startUnix) })),
        ...(state.health ? { stateHealth: () => state.health?.() ?? null } : {}),
      },
      { defaultMetrics },
    );
    // A notice during a poll queues one more poll after it (the running one may predate the change).
    const planChangeNotice = () => void planCache.refreshNow();
    const internalApi: InternalApiNode = {
      relaySecret: config.relaySecret,
      metricsToken: config.metricsToken,
      state,
      logger,
      planCacheReady: () => planCache.ready,
      closing: () => this.closing,
      app: (appId) => planCache.lookupApp(appId),
      peakConcurrent: (app) => this.lifecycle.peakConcurrent(app),
      usageReport: (appId) => nodeUsageReport(this.context, this.lifecycle, appId),
      connections: (appId, limit) => nodeConnections(this.context, appId, limit),
      metrics: async () => ({ contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() }),
      planChanged: planChangeNotice,
      restPublish: (app, channel, data, from, peerMetadata) => restPublish(this.context, app, channel, data, from, peerMetadata),
    };
    const pendingRequests = new PendingRequests(config.maxPendingRequestsPerIp, new Set(config.trustedProxies), config.maxPendingConnections ?? socketBudget().maxPendingConnections);
    this.httpServer = createServer(
      { maxHeaderSize: MAX_HEADER_BYTES, ...headersTimeoutOptions(config.timing.handshakeTimeoutMs) },
      (req, res) => {
        pendingRequests.settled(req.socket);
        handleHttpRequest(internalApi, req, res).catch((error: unknown) => {
          logger.error("http handler failed", { error: error instanceof Error ? error.message : String(error) });
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "internal_error" }));
        });
      },
    );
    this.httpServer.on("connection", pendingRequests.onConnection);
    this.httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      pendingRequests.settled(req.socket);
      this.upgrades.onUpgrade(req, socket, head);
    });
    planCache.onChange((loaded) => this.applyLoaded(loaded));
    state.bus.attach(this.hub);
    state.bus.reportUsageWith((appId) => nodeUsageReport(this.context, this.lifecycle, appId));
    state.bus.listConnectionsWith((appId, limit) => nodeConnections(this.context, appId, limit));
    // The control plane's change notices (Redis pub/sub with a shared backend, or POSTed to
    // RelayInternalPath.planChanged) poll the change feed at once; the periodic poll stays as the fallback.
    state.onPlanChange?.(planChangeNotice);
  }

  async start(): Promise<void> {
    await this.meter.loadPending();
    // Unacknowledged usage restored from disk may not be in the control plane's count yet: count it again
    // (at worst the count runs high until its acknowledgement brings the period count, never low).
    for (const pending of this.meter.pendingMessages()) {
      this.state.counters.increment(pending.appId, pending.periodStartUnix, pending.messages);
    }
    await this.planCache.loadFromDisk();
    await this.planCache.refreshNow();
    this.planCache.start();
    await this.meter.flush();
    const { timing } = this.config;
    this.every(this.config.planCacheRefreshMs, () => void this.planCache.refreshNow().then(() => this.enforceCredentials()));
    this.every(this.config.usageFlushMs, () => {
      this.lifecycle.accrueConnectionMinutes();
      void this.lifecycle.sampleConcurrency().finally(() => void this.meter.flush());
    });
    this.every(timing.serverPingIntervalMs, () => pingSweep(this.hub, timing.pongTimeoutMs, this.logger));
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once("error", reject);
      this.httpServer.listen(this.config.port, this.config.host, () => {
        this.httpServer.off("error", reject);
        resolve();
      });
    });
  }

  private every(intervalMs: number, run: () => void): void {
    const timer = setInterval(run, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  get port(): number {
    const address = this.httpServer.address() as AddressInfo | null;
    return address?.port ?? 0;
  }

  get planCacheReady(): boolean {
    return this.planCache.ready;
  }

  connectionCount(): number {
    return this.hub.connectionCount();
  }

  refreshNow(): Promise<boolean> {
    return this.planCache.refreshNow();
  }

  flushUsage(): Promise<void> {
    return this.meter.flush();
  }

  private applyLoaded(apps: SnapshotApp[]): void {
    for (const app of apps) this.state.counters.setBaseline(app.appId, app.period.startUnix, app.usage.messagesUsed);
    this.enforceCredentials();
  }

  /** Closes what the held app states and the clock no longer allow, and again when the next key expires. */
  private enforceCredentials(): void {
    enforceCredentials(this.hub, this.planCache);
    if (this.keyExpiryTimer) clearTimeout(this.keyExpiryTimer);
    const nextExpiryMs = nextKeyExpiryMs(this.planCache);
    this.keyExpiryTimer = nextExpiryMs === null || this.closing ? null : unrefTimerAt(nextExpiryMs, () => this.enforceCredentials());
  }

  close(): Promise<void> {
    if (!this.closed) this.closed = this.shutdown();
    return this.closed;
  }

  /**
   * In order: refuse new upgrades (503) and report not ready; `going_away` to every client; after the
   * grace period close them all with 1001 (terminating those that do not answer); count their minutes
   * and flush usage; stop the HTTP server; close the state if this node created it.
   */
  private async shutdown(): Promise<void> {
    this.closing = true;
    this.upgrades.stopAccepting();
    for (const timer of this.timers) clearInterval(timer);
    if (this.keyExpiryTimer) clearTimeout(this.keyExpiryTimer);
    const planCacheClosed = this.planCache.close();
    const connections = this.hub.connections();
    if (connections.length > 0) {
      const goingAway = ServerFrame.goingAway(this.config.timing.goingAwayRetryAfterMs);
      for (const connection of connections) connection.sendFrame(ServerFrameType.GoingAway, goingAway);
      await new Promise((resolve) => setTimeout(resolve, this.config.timing.shutdownGraceMs));
      const allClosed = Promise.all(
        connections.map((connection) =>
          connection.closed || connection.ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => connection.ws.once("close", () => resolve())),
        ),
      );
      for (const connection of connections) connection.close(Disconnect.GoingAway);
      await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, MAX_CLOSE_WAIT_MS))]);
      for (const connection of connections) if (!connection.closed) connection.ws.terminate();
    }
    this.lifecycle.accrueConnectionMinutes();
    await this.meter.flush();
    this.upgrades.close();
    this.lifecycle.close();
    await new Promise<void>((resolve) => {
      this.httpServer.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
    await planCacheClosed;
    if (this.ownsState) await this.state.close();
    this.logger.info("relay stopped", { pendingUsageBatches: this.meter.pendingBatchCount });
  }
}

export async function startRelay(config: RelayConfig, options: StartRelayOptions = {}): Promise<RelayHandle> {
  const logger = options.logger ?? createLogger({ base: { service: "relay", relayId: config.relayId } });
  const state = options.state ?? createMemoryState();
  const server = new RelayServer(config, state, options.state === undefined, logger, options.defaultMetrics ?? false);
  await server.start();
  const port = server.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  logger.info("relay listening", { host: config.host, port, planCacheReady: server.planCacheReady });
  return {
    port,
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    close: () => server.close(),
    refreshNow: () => server.refreshNow(),
    flushUsage: () => server.flushUsage(),
    connectionCount: () => server.connectionCount(),
  };
}
