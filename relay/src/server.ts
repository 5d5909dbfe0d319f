// The relay server: one HTTP server carrying the `/v1` WebSocket endpoint (auth in `upgrade`,
// `noServer: true`), health/readiness/metrics and the control plane's internal endpoints.
// Enforcement order (ARCHITECTURE §5) — on upgrade: per-IP limit → credential → app status →
// concurrency gate → welcome; per frame: size (ws maxPayload) → JSON/shape → token bucket →
// permission and channel rules → message quota → deliver and meter.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { RawData } from "ws";
import { authenticate, credentialFromUrl, credentialKeyId } from "./auth";
import type { Identity } from "./auth";
import type { RelayConfig } from "./config";
import { Connection } from "./connection";
import type { Subscription } from "./connection";
import { BillingGate } from "./enforcement/billing-gate";
import type { MessageAdmission } from "./enforcement/billing-gate";
import { IpConnectLimiter, clientIp } from "./enforcement/ip-limiter";
import { globCovers, globMatches, isWildcard, compileGlob } from "./glob";
import { handleHttpRequest } from "./http-routes";
import { createLogger } from "./log";
import type { Logger } from "./log";
import { Meter } from "./metering";
import { RelayCounters, createMetricsRegistry } from "./metrics";
import { PlanCache } from "./plan-cache";
import { textFrame } from "./raw-frame";
import { CloseCode, Disconnect, ErrorCode, Limits, ServerFrame, ServerFrameType } from "./protocol";
import type { ClientFrame, DisconnectKind, PublishFrame, SendFrame, Snapshot, SnapshotApp, SubscribeFrame, UnsubscribeFrame } from "./protocol";
import { parseClientFrame } from "./parse-frame";
import { createMemoryState } from "./state/memory";
import { refreshOnNotice } from "./refresh-on-notice";
import type { ChannelMessageEvent, DirectEvent, JsonObject, LocalDelivery, PresenceEvent, RelayState } from "./state/types";
import { channelProblem } from "./validation";

/** Bytes of frames a connection may have waiting behind an asynchronous one before it is cut off. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const MAX_CLOSE_WAIT_MS = 2_000;
const MAX_HEADER_BYTES = 64 * 1024;
/** A connect with a key the snapshot lacks pulls a fresh snapshot at most this often (bogus keys cost little). */
const UNKNOWN_KEY_REFRESH_INTERVAL_MS = 1_000;

interface AppConnections {
  /** channel → subscribed connections (exact subscriptions) with their subscription. */
  channels: Map<string, Map<Connection, Subscription>>;
  wildcards: Set<{ connection: Connection; subscription: Subscription; regex: RegExp }>;
  peers: Map<string, Set<Connection>>;
  all: Set<Connection>;
  byId: Map<string, Connection>;
}

export interface StartRelayOptions {
  /** Shared state (a Redis implementation later); defaults to in-memory single-node state. */
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
  /** Pull the plan snapshot now. */
  refreshNow(): Promise<boolean>;
  /** Cut and post the current usage now. */
  flushUsage(): Promise<void>;
  /** Connections open on this node. */
  connectionCount(): number;
}

interface OutboundFrame {
  payload: Buffer;
  framed: Buffer;
}

function outboundFrame(payload: Buffer): OutboundFrame {
  return { payload, framed: textFrame(payload) };
}


export class RelayServer implements LocalDelivery {
  readonly counters = new RelayCounters();
  readonly planCache: PlanCache;
  readonly meter: Meter;
  readonly gate: BillingGate;
  readonly httpServer: Server;
  private readonly wss: WebSocketServer;
  private readonly limiter: IpConnectLimiter;
  private readonly trustedProxies: ReadonlySet<string>;
  private readonly apps = new Map<string, AppConnections>();
  private readonly timers: NodeJS.Timeout[] = [];
  private connectionSeq = 0;
  /** Distinguishes this process's connection ids from a previous run with the same RELAY_ID (leases may outlive a crash). */
  private readonly bootId = randomBytes(4).toString("hex");
  /** Highest concurrent count seen per app this period (the stats endpoint reports it). */
  private readonly observedPeaks = new Map<string, { periodStartUnix: number; peak: number }>();
  closing = false;
  readonly planChangeNotice = refreshOnNotice(() => this.planCache.refreshNow());
  private lastUnknownKeyRefreshAtMs = 0;
  private nextUnknownKeyRefresh: Promise<boolean> | null = null;
  private closed: Promise<void> | null = null;
  readonly metricsRegistry;

  constructor(
    readonly config: RelayConfig,
    readonly state: RelayState,
    private readonly ownsState: boolean,
    readonly logger: Logger,
    defaultMetrics: boolean,
  ) {
    const timeoutMs = config.timing.controlPlaneTimeoutMs;
    this.planCache = new PlanCache({ controlPlaneUrl: config.controlPlaneUrl, relaySecret: config.relaySecret, dataDir: config.dataDir, timeoutMs, logger });
    this.meter = new Meter({
      relayId: config.relayId,
      controlPlaneUrl: config.controlPlaneUrl,
      relaySecret: config.relaySecret,
      dataDir: config.dataDir,
      timeoutMs,
      logger,
      onAcknowledged: (batch, response) => {
        for (const app of batch.apps) this.state.counters.acknowledge(app.appId, app.periodStartUnix, app.messagesAttempted);
        for (const app of response.apps) this.gate.reportBalance(app.appId, app.balanceMinor);
      },
    });
    this.gate = new BillingGate({
      state,
      meter: this.meter,
      controlPlaneUrl: config.controlPlaneUrl,
      relaySecret: config.relaySecret,
      rechargeTimeoutMs: config.timing.rechargeTimeoutMs,
      rechargeRetryCooldownMs: config.timing.rechargeRetryCooldownMs,
      logger,
    });
    this.limiter = new IpConnectLimiter(config.connectRateWindowMs);
    this.trustedProxies = new Set(config.trustedProxies);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: Limits.maxInboundFrameBytes, perMessageDeflate: false, clientTracking: false });
    this.metricsRegistry = createMetricsRegistry(
      {
        counters: this.counters,
        planCacheAgeSeconds: () => (this.planCache.lastConfirmedAtMs === null ? -1 : (Date.now() - this.planCache.lastConfirmedAtMs) / 1000),
        usageFlushLagSeconds: () => this.meter.flushLagMs() / 1000,
        appMessagesUsed: () =>
          (this.planCache.current?.apps ?? []).map((app) => ({ appId: app.appId, used: this.state.counters.total(app.appId, app.period.startUnix) })),
        ...(state.health ? { stateHealth: () => state.health?.() ?? null } : {}),
      },
      { defaultMetrics },
    );
    // A token may carry 8 KB metadata + 4 KB peerMetadata, base64url-encoded in the query string:
    // more than Node's default 16 KB header limit.
    this.httpServer = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      handleHttpRequest(this, req, res).catch((error: unknown) => {
        this.logger.error("http handler failed", { error: error instanceof Error ? error.message : String(error) });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal_error" }));
      });
    });
    this.httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      this.handleUpgrade(req, socket, head).catch((error: unknown) => {
        this.logger.error("upgrade failed", { error: error instanceof Error ? error.message : String(error) });
        socket.destroy();
      });
    });
    this.planCache.onChange((snapshot, previous) => this.applySnapshot(snapshot, previous));
    state.bus.attach(this);
    // The control plane's plan-change notices (Redis pub/sub with a shared backend, or POSTed to
    // RelayInternalPath.planChanged) refresh the plan cache at once; the poll stays as the fallback.
    state.onPlanChange?.(this.planChangeNotice);
  }

  async start(): Promise<void> {
    await this.meter.loadPending();
    // Unacknowledged usage restored from disk is not in any baseline yet: count it again.
    for (const pending of this.meter.pendingMessages()) {
      this.state.counters.increment(pending.appId, pending.periodStartUnix, pending.messages);
    }
    await this.planCache.loadFromDisk();
    await this.planCache.refreshNow();
    await this.meter.flush();
    const { timing } = this.config;
    this.every(this.config.planCacheRefreshMs, () => void this.planCache.refreshNow().then(() => this.enforceCredentials()));
    this.every(this.config.usageFlushMs, () => {
      this.accrueConnectionMinutes();
      void this.meter.flush();
    });
    this.every(timing.serverPingIntervalMs, () => this.pingSweep());
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

  connectionCount(): number {
    let count = 0;
    for (const app of this.apps.values()) count += app.all.size;
    return count;
  }

  /** Peak concurrent connections this period: the control plane's figure or what this node saw, whichever is higher. */
  peakConcurrent(app: SnapshotApp): number {
    const observed = this.observedPeaks.get(app.appId);
    return Math.max(app.usage.peakConcurrent, observed && observed.periodStartUnix === app.period.startUnix ? observed.peak : 0);
  }

  private snapshotGeneratedAtMs(): number {
    return this.planCache.current?.generatedAtUnixMs ?? 0;
  }

  // ---------------------------------------------------------------- upgrade and connection lifecycle

  private rejectUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
    const lines = [`HTTP/1.1 ${status} ${text}`, "Connection: close", "Content-Type: text/plain", `Content-Length: ${Buffer.byteLength(text)}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.end(`${lines.join("\r\n")}\r\n\r\n${text}`);
  }

  /**
   * A key created a moment ago may not be in the snapshot yet (its change notice is still in flight, or
   * was lost): look again before refusing it with 4001, with a fetch that starts after the connect
   * arrived. At most one such fetch starts per UNKNOWN_KEY_REFRESH_INTERVAL_MS (unknown keys cannot
   * hammer the control plane): a connect that comes too soon after the last one shares the next, due
   * when the interval ends.
   */
  private refreshForUnknownKey(): Promise<boolean> {
    const start = () => {
      this.lastUnknownKeyRefreshAtMs = Date.now();
      return this.planCache.refreshFromNow();
    };
    const waitMs = this.lastUnknownKeyRefreshAtMs + UNKNOWN_KEY_REFRESH_INTERVAL_MS - Date.now();
    if (waitMs <= 0 && !this.nextUnknownKeyRefresh) return start();
    this.nextUnknownKeyRefresh ??= new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, waitMs)).unref()).then(() => {
      this.nextUnknownKeyRefresh = null;
      return start();
    });
    return this.nextUnknownKeyRefresh;
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "http://relay.invalid");
    if (url.pathname !== "/v1") return this.rejectUpgrade(socket, 404, "Not Found");
    if (this.closing) return this.rejectUpgrade(socket, 503, "Service Unavailable", { "Retry-After": "2" });

    const credential = credentialFromUrl(url);
    const namedKey = credentialKeyId(credential);
    const namedApp = namedKey ? this.planCache.key(namedKey)?.app : undefined;
    const ip = clientIp(req.socket.remoteAddress, req.headers["x-forwarded-for"], this.trustedProxies);
    const retryAfterMs = this.limiter.attempt(ip, namedApp?.limits.connectAttemptsPerIpPerMinute ?? this.config.connectRatePerIp);
    if (retryAfterMs > 0) {
      RelayCounters.bump(this.counters.connectionAttempts, "429");
      return this.rejectUpgrade(socket, 429, "Too Many Requests", { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) });
    }

    if (namedKey && !namedApp) await this.refreshForUnknownKey();
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const auth = authenticate({ planCache: this.planCache, credential, origin, expiryLeadMs: this.config.timing.tokenExpiryLeadMs });
    if (!auth.ok) {
      const app = auth.appId ? this.planCache.app(auth.appId) : undefined;
      if (app && auth.keyId) this.meter.connectionAttempt(app.appId, app.period.startUnix, auth.keyId);
      this.logger.info("connection refused", { ip, code: auth.disconnect.code, reason: auth.detail, appId: auth.appId, keyId: auth.keyId });
      return this.refuseAfterUpgrade(req, socket, head, auth.disconnect, app);
    }

    const identity = auth.identity;
    const app = identity.app;
    this.meter.connectionAttempt(app.appId, app.period.startUnix, identity.key.keyId);
    const connectionId = `${this.config.relayId}:${this.bootId}:${++this.connectionSeq}`;
    const admission = await this.gate.admitConnection(app, connectionId, this.snapshotGeneratedAtMs());
    if (!admission.admitted) {
      this.logger.info("connection refused", { ip, code: CloseCode.OverConcurrentLimit, appId: app.appId, keyId: identity.key.keyId });
      return this.refuseAfterUpgrade(req, socket, head, Disconnect.OverConcurrentLimit, app);
    }
    if (this.closing || socket.destroyed) {
      await this.state.leases.release(app.appId, connectionId);
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, identity, connectionId, admission.count));
  }

  /** Refusals happen after the upgrade so browsers see the close code (PROTOCOL §1 Decision). */
  private refuseAfterUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, disconnect: DisconnectKind, app: SnapshotApp | undefined): void {
    if (socket.destroyed) return;
    RelayCounters.bump(this.counters.connectionAttempts, String(disconnect.code));
    RelayCounters.bump(this.counters.closes, String(disconnect.code));
    if (app) this.meter.closed(app.appId, app.period.startUnix, disconnect.code);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => undefined);
      ws.close(disconnect.code, disconnect.reason);
      const terminate = setTimeout(() => ws.terminate(), MAX_CLOSE_WAIT_MS);
      terminate.unref();
      ws.once("close", () => clearTimeout(terminate));
    });
  }

  private appConnections(appId: string): AppConnections {
    let app = this.apps.get(appId);
    if (!app) {
      app = { channels: new Map(), wildcards: new Set(), peers: new Map(), all: new Set(), byId: new Map() };
      this.apps.set(appId, app);
    }
    return app;
  }

  private onConnection(ws: WebSocket, identity: Identity, connectionId: string, concurrentCount: number): void {
    const connection = new Connection(connectionId, ws, identity);
    const app = this.appConnections(connection.appId);
    app.all.add(connection);
    app.byId.set(connection.id, connection);
    let peerConnections = app.peers.get(connection.peerId);
    if (!peerConnections) {
      peerConnections = new Set();
      app.peers.set(connection.peerId, peerConnections);
    }
    peerConnections.add(connection);
    this.counters.connectionsOpen += 1;
    RelayCounters.bump(this.counters.appConnections, connection.appId);
    RelayCounters.bump(this.counters.connectionAttempts, "welcome");
    const period = identity.app.period.startUnix;
    this.meter.concurrent(connection.appId, period, concurrentCount);
    const observed = this.observedPeaks.get(connection.appId);
    if (!observed || observed.periodStartUnix !== period || observed.peak < concurrentCount) {
      this.observedPeaks.set(connection.appId, { periodStartUnix: period, peak: Math.max(concurrentCount, observed?.periodStartUnix === period ? observed.peak : 0) });
    }
    // Each started minute of an open connection counts one; the first starts now.
    this.meter.connectionMinutes(connection.appId, period, 1);

    ws.on("message", (data: RawData, isBinary: boolean) => this.onMessage(connection, data, isBinary));
    ws.on("pong", () => {
      connection.awaitingPongSinceMs = null;
    });
    ws.on("error", (error: Error & { code?: string }) => {
      if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") connection.closeCode ??= Disconnect.MessageTooBig.code;
      this.logger.debug("socket error", { connectionId, error: error.message });
    });
    ws.on("close", (code: number) => void this.onClose(connection, code));

    const welcome = { peerId: connection.peerId, expiresAt: identity.expiresAt, serverTimeUnix: Math.floor(Date.now() / 1000) };
    this.sendFrame(connection, ServerFrameType.Welcome, ServerFrame.welcome(identity.metadata ? { ...welcome, metadata: identity.metadata } : welcome));

    if (identity.expiresAt !== null) {
      const closeInMs = identity.expiresAt * 1000 - this.config.timing.tokenExpiryLeadMs - Date.now();
      connection.expiryTimer = setTimeout(() => this.closeConnection(connection, Disconnect.TokenExpired), Math.max(0, closeInMs));
      connection.expiryTimer.unref();
    }
    this.logger.debug("connection opened", { connectionId, appId: connection.appId, keyId: connection.keyId, peerId: connection.peerId });
  }

  closeConnection(connection: Connection, disconnect: { code: number; reason: string }): void {
    if (connection.closed || connection.closeCode !== null) return;
    connection.closeCode = disconnect.code;
    connection.ws.close(disconnect.code, disconnect.reason);
    // A peer that never answers the close handshake must not hold its lease.
    const terminate = setTimeout(() => connection.ws.terminate(), disconnect.code === CloseCode.PolicyViolation ? this.config.timing.slowConsumerTerminateMs : MAX_CLOSE_WAIT_MS);
    terminate.unref();
  }

  private async onClose(connection: Connection, peerCode: number): Promise<void> {
    if (connection.closed) return;
    connection.closed = true;
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    const code = connection.closeCode ?? peerCode;
    const app = this.apps.get(connection.appId);
    if (app) {
      app.all.delete(connection);
      app.byId.delete(connection.id);
      const peerConnections = app.peers.get(connection.peerId);
      peerConnections?.delete(connection);
      if (peerConnections && peerConnections.size === 0) app.peers.delete(connection.peerId);
      for (const subscription of connection.subscriptions.values()) this.unindexSubscription(app, connection, subscription);
      if (app.all.size === 0) this.apps.delete(connection.appId);
    }
    this.counters.connectionsOpen -= 1;
    const appCount = (this.counters.appConnections.get(connection.appId) ?? 1) - 1;
    if (appCount > 0) this.counters.appConnections.set(connection.appId, appCount);
    else this.counters.appConnections.delete(connection.appId);
    RelayCounters.bump(this.counters.closes, String(code));
    const snapshotApp = this.planCache.app(connection.appId) ?? connection.identity.app;
    this.accrueMinutesFor(connection, snapshotApp);
    this.meter.closed(connection.appId, snapshotApp.period.startUnix, code);
    try {
      for (const subscription of connection.subscriptions.values()) {
        if (!subscription.wildcard) await this.leavePresence(connection, subscription.channel);
      }
      await this.state.leases.release(connection.appId, connection.id);
    } catch (error) {
      this.logger.error("state cleanup failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private accrueMinutesFor(connection: Connection, app: SnapshotApp, nowMs: number = Date.now()): void {
    const started = Math.floor((nowMs - connection.connectedAtMs) / 60_000) + 1;
    if (started > connection.connectionMinutesCounted) {
      this.meter.connectionMinutes(connection.appId, app.period.startUnix, started - connection.connectionMinutesCounted);
      connection.connectionMinutesCounted = started;
    }
  }

  private accrueConnectionMinutes(): void {
    const nowMs = Date.now();
    for (const app of this.apps.values()) {
      for (const connection of app.all) this.accrueMinutesFor(connection, this.planCache.app(connection.appId) ?? connection.identity.app, nowMs);
    }
  }

  /** Server WebSocket pings; a socket that did not answer the previous ping within the timeout is terminated. */
  private pingSweep(): void {
    const nowMs = Date.now();
    for (const app of this.apps.values()) {
      for (const connection of app.all) {
        if (connection.awaitingPongSinceMs === null) {
          connection.awaitingPongSinceMs = nowMs;
          connection.ws.ping();
        }
      }
    }
    const check = setTimeout(() => {
      const deadline = Date.now() - this.config.timing.pongTimeoutMs;
      for (const app of this.apps.values()) {
        for (const connection of app.all) {
          if (connection.awaitingPongSinceMs !== null && connection.awaitingPongSinceMs <= deadline) {
            this.logger.info("terminating unresponsive socket", { connectionId: connection.id, appId: connection.appId });
            connection.ws.terminate();
          }
        }
      }
    }, this.config.timing.pongTimeoutMs);
    check.unref();
  }

  private applySnapshot(snapshot: Snapshot, _previous: Snapshot | null): void {
    for (const app of snapshot.apps) this.state.counters.setBaseline(app.appId, app.period.startUnix, app.usage.messagesUsed);
    this.enforceCredentials();
  }

  /**
   * Closes live connections whose key was revoked or has expired (4001) or whose app was suspended
   * (4012). Runs on every new snapshot and on every refresh tick, since a rolled key expires by the
   * clock without the snapshot changing.
   */
  private enforceCredentials(): void {
    const nowSec = Math.floor(Date.now() / 1000);
    for (const app of this.apps.values()) {
      for (const connection of app.all) {
        const snapshotApp = this.planCache.app(connection.appId);
        if (!snapshotApp) {
          this.closeConnection(connection, Disconnect.AppRemoved);
          continue;
        }
        if (snapshotApp.status === "suspended") {
          this.closeConnection(connection, Disconnect.AppSuspended);
          continue;
        }
        const key = this.planCache.key(connection.keyId)?.key;
        if (!key || key.revoked || (key.expiresAtUnix !== null && key.expiresAtUnix <= nowSec)) {
          this.closeConnection(connection, Disconnect.KeyRevoked);
          continue;
        }
        connection.updateKey(key);
      }
    }
  }

  // ---------------------------------------------------------------- frames in

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.closed || connection.closeCode !== null) return;
    if (isBinary) {
      RelayCounters.bump(this.counters.framesIn, "binary");
      this.sendError(connection, ErrorCode.MalformedMessage, "binary frames are not supported");
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
    if (connection.queue) {
      if (connection.queuedBytes + text.length > MAX_QUEUED_BYTES) {
        this.closeConnection(connection, Disconnect.TooManyPendingFrames);
        return;
      }
      connection.queuedBytes += text.length;
      const next = connection.queue.then(() => {
        connection.queuedBytes -= text.length;
        return connection.closed ? undefined : this.processSafely(connection, text);
      });
      this.trackQueue(connection, next);
      return;
    }
    const pending = this.processSafely(connection, text);
    if (pending) this.trackQueue(connection, pending);
  }

  private trackQueue(connection: Connection, pending: Promise<void>): void {
    connection.queue = pending;
    void pending.then(() => {
      if (connection.queue === pending) connection.queue = null;
    });
  }

  private processSafely(connection: Connection, text: string): Promise<void> | undefined {
    let requestId: string | undefined;
    const fail = (error: unknown) => {
      this.logger.error("frame handling failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
      this.sendError(connection, ErrorCode.InternalError, "internal error", requestId);
    };
    try {
      const parsed = parseClientFrame(text);
      if (!parsed.ok) {
        RelayCounters.bump(this.counters.framesIn, parsed.counted);
        this.sendError(connection, parsed.code, parsed.message, parsed.requestId);
        return undefined;
      }
      const frame = parsed.frame;
      requestId = frame.requestId;
      RelayCounters.bump(this.counters.framesIn, frame.type);
      const pending = this.dispatch(connection, frame, requestId);
      return pending ? pending.catch(fail) : undefined;
    } catch (error) {
      fail(error);
      return undefined;
    }
  }

  private dispatch(connection: Connection, frame: ClientFrame, requestId: string | undefined): Promise<void> | undefined {
    switch (frame.type) {
      case "ping":
        this.sendFrame(connection, ServerFrameType.Pong, ServerFrame.pong());
        return undefined;
      case "subscribe":
        return this.subscribe(connection, frame, requestId);
      case "unsubscribe":
        return this.unsubscribe(connection, frame, requestId);
      case "publish":
        return this.publish(connection, frame, requestId);
      case "send":
        return this.send(connection, frame, requestId);
    }
  }

  private currentApp(connection: Connection): SnapshotApp {
    return this.planCache.app(connection.appId) ?? connection.identity.app;
  }

  /** Only publish and send take a token; an empty bucket closes the connection with 4011. */
  private takeToken(connection: Connection, app: SnapshotApp): boolean {
    if (connection.bucket.take(app.limits.tokenBucketRefillPerSecond, app.limits.tokenBucketBurst)) return true;
    this.counters.tokenBucketCloses += 1;
    this.closeConnection(connection, Disconnect.OverMessageRate);
    return false;
  }

  private channelAuthorized(connection: Connection, channel: string, wildcard: boolean): boolean {
    return connection.authorized(wildcard ? `\u0000${channel}` : channel, () => {
      const test = wildcard ? globCovers : globMatches;
      if (!connection.key.channelPatterns.some((pattern) => test(pattern, channel))) return false;
      const tokenChannels = connection.identity.tokenChannels;
      return tokenChannels === null || tokenChannels.some((pattern) => test(pattern, channel));
    });
  }

  /** Channel rules shared by subscribe/unsubscribe/publish; answers the error and returns null on failure. */
  private checkChannel(connection: Connection, channel: unknown, requestId: string | undefined, authorize: boolean): string | null {
    const problem = channelProblem(channel);
    if (problem !== null || typeof channel !== "string") {
      this.sendError(connection, problem ?? ErrorCode.InvalidChannel, problem === ErrorCode.ChannelReserved ? "reserved channel prefix" : "invalid channel name", requestId);
      return null;
    }
    if (authorize && !this.channelAuthorized(connection, channel, isWildcard(channel))) {
      this.sendError(connection, ErrorCode.ChannelNotAuthorized, "channel not authorized", requestId);
      return null;
    }
    return channel;
  }

  private async subscribe(connection: Connection, frame: SubscribeFrame, requestId: string | undefined): Promise<void> {
    if (!connection.permissions.has("subscribe")) return this.sendError(connection, ErrorCode.ActionNotPermitted, "subscribe not permitted", requestId);
    const channel = this.checkChannel(connection, frame.channel, requestId, true);
    if (channel === null) return;
    const includeSenderMetadata = frame.includeSenderMetadata;
    const existing = connection.subscriptions.get(channel);
    if (existing) {
      existing.includeSenderMetadata = includeSenderMetadata;
    } else {
      if (connection.subscriptions.size >= Limits.maxSubscriptionsPerConnection) {
        return this.sendError(connection, ErrorCode.ChannelLimitExceeded, `at most ${Limits.maxSubscriptionsPerConnection} subscriptions per connection`, requestId);
      }
      const wildcard = isWildcard(channel);
      const subscription: Subscription = { channel, includeSenderMetadata, wildcard };
      if (wildcard) subscription.regex = compileGlob(channel);
      connection.subscriptions.set(channel, subscription);
      this.indexSubscription(this.appConnections(connection.appId), connection, subscription);
    }
    const subscription = connection.subscriptions.get(channel);
    if (!subscription || subscription.wildcard) return this.sendAck(connection, requestId);

    const member = connection.peerMetadata ? { peerId: connection.peerId, metadata: connection.peerMetadata } : { peerId: connection.peerId };
    const { firstForPeer } = await this.state.presence.join(connection.appId, channel, member, connection.id);
    if (connection.closed || !connection.subscriptions.has(channel)) {
      // Closed or unsubscribed while joining: undo so the roster does not keep a ghost.
      await this.leavePresence(connection, channel);
      return;
    }
    this.sendAck(connection, requestId);
    if (connection.canPresence) {
      const roster = await this.state.presence.roster(connection.appId, channel);
      const others = roster.filter((m) => m.peerId !== connection.peerId);
      this.sendFrame(connection, ServerFrameType.Presence, ServerFrame.presence(channel, others, []));
    }
    if (firstForPeer) this.state.bus.publishPresence({ appId: connection.appId, channel, joined: [member], left: [], excludePeerId: connection.peerId });
  }

  private async unsubscribe(connection: Connection, frame: UnsubscribeFrame, requestId: string | undefined): Promise<void> {
    const channel = this.checkChannel(connection, frame.channel, requestId, false);
    if (channel === null) return;
    const subscription = connection.subscriptions.get(channel);
    if (!subscription) return this.sendAck(connection, requestId);
    connection.subscriptions.delete(channel);
    const app = this.apps.get(connection.appId);
    if (app) this.unindexSubscription(app, connection, subscription);
    this.sendAck(connection, requestId);
    if (!subscription.wildcard) await this.leavePresence(connection, channel);
  }

  private async leavePresence(connection: Connection, channel: string): Promise<void> {
    const { lastForPeer } = await this.state.presence.leave(connection.appId, channel, connection.peerId, connection.id);
    if (lastForPeer) this.state.bus.publishPresence({ appId: connection.appId, channel, joined: [], left: [{ peerId: connection.peerId }], excludePeerId: connection.peerId });
  }

  private indexSubscription(app: AppConnections, connection: Connection, subscription: Subscription): void {
    if (subscription.wildcard && subscription.regex) {
      app.wildcards.add({ connection, subscription, regex: subscription.regex });
      return;
    }
    let subscribers = app.channels.get(subscription.channel);
    if (!subscribers) {
      subscribers = new Map();
      app.channels.set(subscription.channel, subscribers);
    }
    subscribers.set(connection, subscription);
  }

  private unindexSubscription(app: AppConnections, connection: Connection, subscription: Subscription): void {
    if (subscription.wildcard) {
      for (const entry of app.wildcards) {
        if (entry.connection === connection && entry.subscription === subscription) app.wildcards.delete(entry);
      }
      return;
    }
    const subscribers = app.channels.get(subscription.channel);
    subscribers?.delete(connection);
    if (subscribers && subscribers.size === 0) app.channels.delete(subscription.channel);
  }

  private publish(connection: Connection, frame: PublishFrame, requestId: string | undefined): Promise<void> | undefined {
    const app = this.currentApp(connection);
    if (!this.takeToken(connection, app)) return undefined;
    if (!connection.permissions.has("publish")) {
      this.sendError(connection, ErrorCode.ActionNotPermitted, "publish not permitted", requestId);
      return undefined;
    }
    const channel = this.checkChannel(connection, frame.channel, requestId, true);
    if (channel === null) return undefined;
    const dataJson = JSON.stringify(frame.data);
    const admission = this.gate.admitMessage(app, connection.keyId, this.snapshotGeneratedAtMs());
    const finish = (decision: MessageAdmission) => {
      if (!decision.allowed) return this.softDrop(connection, requestId);
      this.sendAck(connection, requestId);
      const event: ChannelMessageEvent = { appId: connection.appId, channel, fromPeerId: connection.peerId, dataJson, excludeConnectionId: connection.id };
      if (connection.peerMetadata) event.fromMetadata = connection.peerMetadata;
      this.state.bus.publishChannelMessage(event);
    };
    if (admission instanceof Promise) return admission.then(finish);
    finish(admission);
    return undefined;
  }

  private send(connection: Connection, frame: SendFrame, requestId: string | undefined): Promise<void> | undefined {
    const app = this.currentApp(connection);
    if (!this.takeToken(connection, app)) return undefined;
    if (!connection.permissions.has("send")) {
      this.sendError(connection, ErrorCode.ActionNotPermitted, "send not permitted", requestId);
      return undefined;
    }
    const to = frame.to;
    const dataJson = JSON.stringify(frame.data);
    const deliver = async (decision: MessageAdmission) => {
      if (!decision.allowed) return this.softDrop(connection, requestId);
      const event: DirectEvent = { appId: connection.appId, toPeerId: to, fromPeerId: connection.peerId, dataJson };
      if (connection.peerMetadata) event.fromMetadata = connection.peerMetadata;
      let reached: number;
      try {
        reached = await this.state.bus.sendDirect(event);
      } catch (error) {
        this.logger.warn("direct send failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
        return this.sendError(connection, ErrorCode.BackendError, "routing failed; retry shortly", requestId);
      }
      if (reached === 0) return this.sendError(connection, ErrorCode.PeerNotFound, "peer not connected", requestId);
      this.sendAck(connection, requestId);
    };
    const admission = this.gate.admitMessage(app, connection.keyId, this.snapshotGeneratedAtMs());
    return admission instanceof Promise ? admission.then(deliver) : deliver(admission);
  }

  private softDrop(connection: Connection, requestId: string | undefined): void {
    this.counters.softDrops += 1;
    this.sendError(connection, ErrorCode.OverMessageQuota, "message quota used up", requestId);
  }

  /** A publish from the control plane's REST API: one message against the quota, no publishing connection. */
  async restPublish(app: SnapshotApp, channel: string, data: unknown, from: string, peerMetadata: JsonObject | undefined): Promise<{ delivered: number; dropped: boolean }> {
    const admission = await this.gate.admitMessage(app, null, this.snapshotGeneratedAtMs());
    if (!admission.allowed) {
      this.counters.softDrops += 1;
      return { delivered: 0, dropped: true };
    }
    const event: ChannelMessageEvent = { appId: app.appId, channel, fromPeerId: from, dataJson: JSON.stringify(data) };
    if (peerMetadata) event.fromMetadata = peerMetadata;
    return { delivered: await this.state.bus.publishChannelMessageCounted(event), dropped: false };
  }

  // ---------------------------------------------------------------- frames out

  private sendFrame(connection: Connection, type: ServerFrameType, text: string): void {
    if (this.sendRaw(connection, text)) RelayCounters.bump(this.counters.framesOut, type);
  }

  private sendAck(connection: Connection, requestId: string | undefined): void {
    if (requestId !== undefined) this.sendFrame(connection, ServerFrameType.Ack, ServerFrame.ack(requestId));
  }

  private sendError(connection: Connection, code: string, message: string, requestId?: string): void {
    this.sendFrame(connection, ServerFrameType.Error, ServerFrame.error(code, message, requestId));
  }

  /**
   * Sends unless the connection is closing; a send buffer over its cap closes it as a slow consumer.
   * `framed` is the same payload already wrapped in a WebSocket frame (fan-out fast path).
   */
  private sendRaw(connection: Connection, payload: Buffer | string, framed?: Buffer): boolean {
    if (connection.closeCode !== null || connection.closed) return false;
    const ws = connection.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.config.sendBufferLimitBytes) {
      this.counters.slowConsumerCloses += 1;
      this.logger.info("closing slow consumer", { connectionId: connection.id, appId: connection.appId, bufferedBytes: ws.bufferedAmount });
      this.closeConnection(connection, Disconnect.SlowConsumer);
      return false;
    }
    if (framed === undefined || connection.rawWriter === null || !connection.rawWriter.write(framed)) ws.send(payload, { binary: false });
    return true;
  }

  // ---------------------------------------------------------------- LocalDelivery (called by the bus)

  deliverChannelMessage(event: ChannelMessageEvent): number {
    const app = this.apps.get(event.appId);
    if (!app) return 0;
    const subscribers = app.channels.get(event.channel);
    // Each variant of the frame is serialized and framed once per fan-out, not per recipient.
    let plain: OutboundFrame | null = null;
    let withMetadata: OutboundFrame | null = null;
    const metadataJson = event.fromMetadata ? JSON.stringify(event.fromMetadata) : null;
    const frameFor = (subscription: Subscription): OutboundFrame => {
      if (metadataJson !== null && subscription.includeSenderMetadata) {
        withMetadata ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, metadataJson));
        return withMetadata;
      }
      plain ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, null));
      return plain;
    };
    // The publisher is found once so the loop compares objects, not connection-id strings.
    const excluded = event.excludeConnectionId === undefined ? undefined : this.localConnection(app, event.excludeConnectionId);
    let reached = 0;
    let bytes = 0;
    if (subscribers) {
      for (const [connection, subscription] of subscribers) {
        if (connection === excluded) continue;
        const frame = frameFor(subscription);
        if (this.sendRaw(connection, frame.payload, frame.framed)) {
          reached += 1;
          bytes += frame.payload.length;
        }
      }
    }
    if (app.wildcards.size > 0) {
      let seen: Set<Connection> | null = null;
      for (const entry of app.wildcards) {
        if (entry.connection === excluded || !entry.regex.test(event.channel)) continue;
        seen ??= new Set(subscribers ? subscribers.keys() : []);
        if (seen.has(entry.connection)) continue;
        seen.add(entry.connection);
        const frame = frameFor(entry.subscription);
        if (this.sendRaw(entry.connection, frame.payload, frame.framed)) {
          reached += 1;
          bytes += frame.payload.length;
        }
      }
    }
    if (reached > 0) {
      RelayCounters.bump(this.counters.framesOut, "message", reached);
      const snapshotApp = this.planCache.app(event.appId);
      if (snapshotApp) this.meter.delivered(event.appId, snapshotApp.period.startUnix, reached, Math.round(bytes / reached));
    }
    return reached;
  }

  deliverPresence(event: PresenceEvent): number {
    const subscribers = this.apps.get(event.appId)?.channels.get(event.channel);
    if (!subscribers) return 0;
    let frame: string | null = null;
    let reached = 0;
    for (const connection of subscribers.keys()) {
      if (!connection.canPresence || connection.peerId === event.excludePeerId) continue;
      frame ??= ServerFrame.presence(event.channel, event.joined, event.left);
      if (this.sendRaw(connection, frame)) reached += 1;
    }
    if (reached > 0) RelayCounters.bump(this.counters.framesOut, "presence", reached);
    return reached;
  }

  deliverDirect(event: DirectEvent): number {
    const connections = this.apps.get(event.appId)?.peers.get(event.toPeerId);
    if (!connections || connections.size === 0) return 0;
    const frame = outboundFrame(ServerFrame.direct(event.fromPeerId, event.dataJson, event.fromMetadata ? JSON.stringify(event.fromMetadata) : null));
    let reached = 0;
    for (const connection of connections) {
      if (this.sendRaw(connection, frame.payload, frame.framed)) reached += 1;
    }
    if (reached > 0) {
      RelayCounters.bump(this.counters.framesOut, "direct", reached);
      const snapshotApp = this.planCache.app(event.appId);
      if (snapshotApp) this.meter.delivered(event.appId, snapshotApp.period.startUnix, reached, frame.payload.length);
    }
    return reached;
  }

  /** A connection of this node by id (ids of other nodes are never found). */
  private localConnection(app: AppConnections, connectionId: string): Connection | undefined {
    return app.byId.get(connectionId);
  }

  disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): number {
    const connections = this.apps.get(appId)?.peers.get(peerId);
    if (!connections) return 0;
    let closed = 0;
    for (const connection of connections) {
      if (connection.closeCode !== null || connection.closed) continue;
      this.closeConnection(connection, { code: closeCode, reason });
      closed += 1;
    }
    return closed;
  }

  // ---------------------------------------------------------------- shutdown

  close(): Promise<void> {
    if (!this.closed) this.closed = this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    const connections = [...this.apps.values()].flatMap((app) => [...app.all]);
    if (connections.length > 0) {
      const goingAway = ServerFrame.goingAway(this.config.timing.goingAwayRetryAfterMs);
      for (const connection of connections) this.sendFrame(connection, ServerFrameType.GoingAway, goingAway);
      await new Promise((resolve) => setTimeout(resolve, this.config.timing.shutdownGraceMs));
      const allClosed = Promise.all(
        connections.map((connection) =>
          connection.closed || connection.ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => connection.ws.once("close", () => resolve())),
        ),
      );
      for (const connection of connections) this.closeConnection(connection, Disconnect.GoingAway);
      await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, MAX_CLOSE_WAIT_MS))]);
      for (const connection of connections) if (!connection.closed) connection.ws.terminate();
    }
    this.accrueConnectionMinutes();
    await this.meter.flush();
    this.limiter.close();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.httpServer.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
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
  logger.info("relay listening", { host: config.host, port, snapshotLoaded: server.planCache.ready });
  return {
    port,
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    close: () => server.close(),
    refreshNow: () => server.planCache.refreshNow(),
    flushUsage: () => server.meter.flush(),
    connectionCount: () => server.connectionCount(),
  };
}
