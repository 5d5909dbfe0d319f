// The upgrade path of `/v1` (PROTOCOL §1, ARCHITECTURE §5), in its fixed order: path → closing →
// node-wide connection cap (HTTP 503) → per-IP connect limit (HTTP 429, both without a handshake) →
// the app's share of the event loop (frame-scheduler.ts) → credential and claims → app status →
// connections of the peerId on this node → concurrency gate →
// welcome. Refusals after the per-IP limit complete the handshake and close with the code, so browsers
// see it (PROTOCOL §1 Decision). Nothing on this path waits except the lookup of a key no app held
// here has (one per key id at a time, answered from a short negative cache for unknown ids, and bounded
// per source by the per-IP limit before it) and the concurrency gate.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { authenticate, credentialFromQuery, credentialKeyId } from "./auth";
import type { Credential, Identity } from "./auth";
import type { ConnectionAdmission } from "./enforcement/billing-gate";
import { IpConnectLimiter, clientIp } from "./enforcement/ip-limiter";
import { socketBudget } from "./enforcement/socket-budget";
import type { ConnectionLifecycle } from "./lifecycle";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { stateGeneratedAtMs } from "./node-context";
import { Disconnect, KeyPrefix, Limits } from "./protocol";
import type { DisconnectKind, SnapshotApp } from "./protocol";

const URL_BASE = "http://relay.invalid";
const CONNECT_PATH = "/v1";
/** `Retry-After` of the 503 from a node at its connection cap: soon enough to find a freed slot, slow enough to spare it. */
const NODE_FULL_RETRY_AFTER_SEC = 5;
/** Upgrades whose credential names no held app share one turn (they are refused). */
const UNNAMED_APP = "";

/** The request target's path and query; the plain `/v1?…` of every client is split without a URL parse. */
function splitTarget(target: string): { pathname: string; query: string } {
  const plain = target === CONNECT_PATH || (target.startsWith(`${CONNECT_PATH}?`) && !target.includes("#"));
  if (plain) return { pathname: CONNECT_PATH, query: target.slice(CONNECT_PATH.length + 1) };
  const url = new URL(target, URL_BASE);
  return { pathname: url.pathname, query: url.search.slice(1) };
}

/** Only what could be a key id is looked up: anything else is refused with 4001 without a round trip. */
function mayBeKeyId(keyId: string): boolean {
  return keyId.length <= Limits.maxKeyIdBytes && (keyId.startsWith(KeyPrefix.publishableKey) || keyId.startsWith(KeyPrefix.secretKeyId));
}

/** A socket error during or after the upgrade ends the socket (one shared listener: no closure per connect). */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** An upgrade request on its way through the checks. */
interface PendingUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** The client's address, as the per-IP limit saw it (for the log and the connection inspector). */
  ip: string;
}

export class UpgradePath {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: Limits.maxInboundFrameBytes, perMessageDeflate: false, clientTracking: false });
  private readonly limiter: IpConnectLimiter;
  private readonly trustedProxies: ReadonlySet<string>;
  private connectionSeq = 0;
  /**
   * Connection ids are `relayId:bootId:seq`: globally unique lease members. The boot id tells this
   * process's connections from a previous run with the same RELAY_ID (leases may outlive a crash).
   */
  private readonly connectionIdPrefix: string;
  private closing = false;
  /** Upgrades past the node-wide cap check and not yet opened or refused: they count against the cap. */
  private upgradesInFlight = 0;
  private readonly maxConnections: number;

  constructor(
    private readonly context: NodeContext,
    private readonly lifecycle: ConnectionLifecycle,
  ) {
    this.limiter = new IpConnectLimiter(context.config.connectRateWindowMs);
    this.trustedProxies = new Set(context.config.trustedProxies);
    this.connectionIdPrefix = `${context.config.relayId}:${randomBytes(4).toString("hex")}:`;
    this.maxConnections = context.config.maxConnections ?? socketBudget().maxConnections;
  }

  /** The HTTP server's `upgrade` listener. */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", destroySocket);
    try {
      this.handle(req, socket, head)?.catch((error: unknown) => this.failed(socket, error));
    } catch (error) {
      this.failed(socket, error);
    }
  };

  private failed(socket: Duplex, error: unknown): void {
    this.context.logger.error("upgrade failed", { error: error instanceof Error ? error.message : String(error) });
    socket.destroy();
  }

  /** From now on upgrades are answered 503 (shutdown). */
  stopAccepting(): void {
    this.closing = true;
  }

  close(): void {
    this.limiter.close();
    this.wss.close();
  }

  private reject(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
    const lines = [`HTTP/1.1 ${status} ${text}`, "Connection: close", "Content-Type: text/plain", `Content-Length: ${Buffer.byteLength(text)}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.end(`${lines.join("\r\n")}\r\n\r\n${text}`);
  }

  /**
   * A key no held app has: its app is looked up (the first connect of an app this node does not serve
   * yet). Unknown keys are refused with 4001; when the control plane does not answer (an outage), the
   * connect is refused with 1013 rather than admitted unchecked.
   */
  private async lookUpAndAdmit(upgrade: PendingUpgrade, credential: Credential, keyId: string): Promise<void> {
    const lookup = await this.context.planCache.lookupKey(keyId);
    if (lookup.kind === "unavailable") {
      this.context.logger.warn("connection refused: control plane unavailable for an app not held here", { ip: upgrade.ip, keyId });
      return this.refuseAfterHandshake(upgrade, Disconnect.ControlPlaneUnavailable, undefined);
    }
    return this.authenticateAndAdmit(upgrade, credential);
  }

  /** Runs synchronously to the welcome unless it must wait (an unknown key's refresh, a shared lease store). */
  private handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> | void {
    const { context } = this;
    const target = splitTarget(req.url ?? "/");
    if (target.pathname !== CONNECT_PATH) return this.reject(socket, 404, "Not Found");
    if (this.closing) return this.reject(socket, 503, "Service Unavailable", { "Retry-After": "2" });
    if (context.counters.connectionsOpen + this.upgradesInFlight >= this.maxConnections) {
      RelayCounters.bump(context.counters.connectionAttempts, "503");
      return this.reject(socket, 503, "Service Unavailable", { "Retry-After": String(NODE_FULL_RETRY_AFTER_SEC) });
    }

    const credential = credentialFromQuery(target.query);
    const namedKey = credentialKeyId(credential);
    const namedApp = namedKey ? context.planCache.key(namedKey)?.app : undefined;
    const ip = clientIp(req.socket.remoteAddress, req.headers["x-forwarded-for"], this.trustedProxies);
    const retryAfterMs = this.limiter.attempt(ip, namedApp?.limits.connectAttemptsPerIpPerMinute ?? context.config.connectRatePerIp);
    if (retryAfterMs > 0) {
      RelayCounters.bump(context.counters.connectionAttempts, "429");
      return this.reject(socket, 429, "Too Many Requests", { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) });
    }
    const upgrade: PendingUpgrade = { req, socket, head, ip };
    if (namedKey && !namedApp && mayBeKeyId(namedKey)) return this.inFlight(() => this.lookUpAndAdmit(upgrade, credential, namedKey));
    // An app's upgrades (token checks, claims, handshake) take their turn with its frames (frame-scheduler.ts).
    return this.inFlight(() => context.frames.runInTurn(namedApp?.appId ?? UNNAMED_APP, () => this.authenticateAndAdmit(upgrade, credential)));
  }

  /** Counts the upgrade against the node-wide cap until `admit` has opened it (then the open count has it) or refused it. */
  private inFlight(admit: () => Promise<void> | void): Promise<void> | void {
    this.upgradesInFlight += 1;
    let admitting: Promise<void> | void = undefined;
    try {
      admitting = admit();
    } finally {
      if (!(admitting instanceof Promise)) this.upgradesInFlight -= 1;
    }
    return admitting?.finally(() => {
      this.upgradesInFlight -= 1;
    });
  }

  /** Whether the peerId already holds as many connections on this node as one peer may. */
  private peerIsFull(identity: Identity): boolean {
    return this.context.hub.peerConnectionCount(identity.app.appId, identity.peerId) >= Limits.maxConnectionsPerPeer;
  }

  private refuseTooManyPeerConnections(upgrade: PendingUpgrade, identity: Identity): void {
    this.context.logger.info("connection refused", { ip: upgrade.ip, code: Disconnect.TooManyPeerConnections.code, reason: Disconnect.TooManyPeerConnections.reason, appId: identity.app.appId, keyId: identity.key.keyId });
    this.refuseAfterHandshake(upgrade, Disconnect.TooManyPeerConnections, identity.app);
  }

  private authenticateAndAdmit(upgrade: PendingUpgrade, credential: Credential): Promise<void> | void {
    const { context } = this;
    const origin = upgrade.req.headers.origin;
    const auth = authenticate({ planCache: context.planCache, credential, origin: typeof origin === "string" ? origin : undefined, expiryLeadMs: context.config.timing.tokenExpiryLeadMs });
    if (!auth.ok) {
      const app = auth.appId ? context.planCache.app(auth.appId) : undefined;
      if (app && auth.keyId) context.meter.connectionAttempt(app.appId, app.period.startUnix, auth.keyId);
      context.logger.info("connection refused", { ip: upgrade.ip, code: auth.disconnect.code, reason: auth.detail, appId: auth.appId, keyId: auth.keyId });
      return this.refuseAfterHandshake(upgrade, auth.disconnect, app);
    }

    const identity = auth.identity;
    const app = identity.app;
    context.meter.connectionAttempt(app.appId, app.period.startUnix, identity.key.keyId);
    // Before the gate, so a refused connection takes no lease.
    if (this.peerIsFull(identity)) return this.refuseTooManyPeerConnections(upgrade, identity);
    const connectionId = this.connectionIdPrefix + ++this.connectionSeq;
    const admission = context.gate.admitConnection(app, connectionId, stateGeneratedAtMs(context, app.appId));
    if (admission instanceof Promise) return admission.then((admitted) => this.welcome(upgrade, identity, connectionId, admitted));
    return this.welcome(upgrade, identity, connectionId, admission);
  }

  private welcome(upgrade: PendingUpgrade, identity: Identity, connectionId: string, admission: ConnectionAdmission): Promise<void> | void {
    const { context } = this;
    const { req, socket, head } = upgrade;
    const app = identity.app;
    if (!admission.admitted) {
      context.logger.info("connection refused", { ip: upgrade.ip, code: Disconnect.OverConcurrentLimit.code, appId: app.appId, keyId: identity.key.keyId });
      return this.refuseAfterHandshake(upgrade, Disconnect.OverConcurrentLimit, app);
    }
    if (this.closing || socket.destroyed) return context.state.leases.release(app.appId, connectionId).then(() => void socket.destroy());
    // Other connections of the peer may have opened while the gate waited (a shared lease store).
    if (this.peerIsFull(identity)) return context.state.leases.release(app.appId, connectionId).then(() => this.refuseTooManyPeerConnections(upgrade, identity));
    // Corked, the 101 response and the welcome frame leave in one write (one syscall, one segment).
    socket.cork();
    const origin = req.headers.origin;
    const source = { address: upgrade.ip, origin: typeof origin === "string" ? origin : undefined };
    this.wss.handleUpgrade(req, socket, head, (ws) => this.lifecycle.open(ws, identity, connectionId, admission.count, source));
    socket.uncork();
  }

  private refuseAfterHandshake({ req, socket, head }: PendingUpgrade, disconnect: DisconnectKind, app: SnapshotApp | undefined): void {
    if (socket.destroyed) return;
    const { counters, meter } = this.context;
    RelayCounters.bump(counters.connectionAttempts, String(disconnect.code));
    RelayCounters.bump(counters.closes, String(disconnect.code));
    if (app) meter.closed(app.appId, app.period.startUnix, disconnect.code);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => undefined);
      ws.close(disconnect.code, disconnect.reason);
      const terminate = setTimeout(() => ws.terminate(), this.context.connectionContext.closeWaitMs);
      terminate.unref();
      ws.once("close", () => clearTimeout(terminate));
    });
  }
}
