// One client connection: its bookkeeping and its writer. Every frame to the client leaves through
// `sendText`/`sendFramed`, which refuse once the connection is closing and close a slow consumer
// (1008) whose send buffer passed its cap; every close goes through `close(disconnect)`.
import { WebSocket } from "ws";
import { effectivePermissions } from "./auth";
import type { Identity } from "./auth";
import { FrameBudget } from "./enforcement/frame-budget";
import { TokenBucket } from "./enforcement/token-bucket";
import type { CompiledGlob } from "./glob";
import type { Logger } from "./log";
import { RelayCounters } from "./metrics";
import { CloseCode, Disconnect, ServerFrame, ServerFrameType } from "./protocol";
import type { Action, SnapshotKey, StreamPosition } from "./protocol";
import { textFrame, writeFramed } from "./raw-frame";

export interface Subscription {
  channel: string;
  includeSenderMetadata: boolean;
  /** Wildcard subscriptions receive messages of every matching channel but no presence. */
  wildcard: boolean;
  /** The compiled pattern of a wildcard subscription, matched against each published channel. */
  glob?: CompiledGlob;
  /**
   * Presence frames held back until the first page of this subscription's roster is sent (then sent
   * after it, in order), so a client's first presence frame for the channel is always its roster's.
   */
  heldPresence?: string[];
  /**
   * Live messages held back while the subscription's missed messages are read from the channel's
   * history (history-replay.ts), then sent after the replay without the ones it already carried.
   */
  heldMessages?: HeldMessage[];
  /** The payload bytes of `heldMessages`: past the send buffer's cap, the reader is a slow consumer. */
  heldBytes?: number;
  /**
   * The last message a history replay sent: a live copy of it or of an older one of the same stream
   * (published on another node before the replay read it, heard after) is not sent again.
   */
  replayedUpTo?: StreamPosition;
}

/** A live `message` frame held for a subscription that is being replayed to. */
export interface HeldMessage {
  position: StreamPosition | undefined;
  payload: Buffer;
  framed: Buffer;
}

/** What every connection's writer needs from the node: limits, counters and the log. */
export interface ConnectionContext {
  sendBufferLimitBytes: number;
  slowConsumerTerminateMs: number;
  /** A peer that never answers the close handshake is terminated after this long. */
  closeWaitMs: number;
  counters: RelayCounters;
  logger: Logger;
}

// The authorization cache only saves re-matching patterns on a connection's busy channels: it is kept
// small, by names and by characters, so it never becomes much of what a connection costs (~64 KB at
// most all in, docs/security.md). Full, it starts over.
const AUTHORIZATION_CACHE_MAX_ENTRIES = 128;
const AUTHORIZATION_CACHE_MAX_CHARS = 8 * 1024;
const NO_SUBSCRIPTIONS: ReadonlyMap<string, Subscription> = new Map();

/** What a connection keeps of its identity: not the token's `metadata`, which the welcome sends once. */
export type ConnectionIdentity = Omit<Identity, "metadataJson">;

/** Where a connection came from, for the dashboard's connection inspector. */
export interface ConnectionSource {
  /** The client's address as the per-IP limit saw it. */
  address: string;
  /** The upgrade's Origin header; undefined when the client sent none. */
  origin: string | undefined;
}

export class Connection {
  readonly appId: string;
  readonly peerId: string;
  readonly keyId: string;
  /** Effective actions; re-derived when the key's actions change in a new snapshot. */
  permissions: ReadonlySet<Action>;
  canPresence: boolean;
  /** The token's `peerMetadata` as JSON text, serialized once at connect (presence, `fromMetadata`). */
  readonly peerMetadataJson: string | undefined;
  readonly identity: ConnectionIdentity;
  readonly connectedAtMs = Date.now();
  readonly bucket: TokenBucket;
  /** Bytes of every frame and tokens of control frames (PROTOCOL §8). */
  readonly frameBudget: FrameBudget;
  /** The key as of the latest snapshot (patterns may change while connected). */
  key: SnapshotKey;
  /** Frames waiting for their app's turn or behind an asynchronous one (frame-scheduler.ts), oldest first. */
  backlog: string[] | null = null;
  backlogBytes = 0;
  /** A frame of this connection is still being handled asynchronously; the next ones wait in the backlog. */
  busy = false;
  connectionMinutesCounted = 1;
  awaitingPongSinceMs: number | null = null;
  /** When the token's expiry closes this connection (4002); null for a publishable key. */
  readonly closeAtMs: number | null;
  /** The close code this server chose, recorded before the close handshake completes. */
  closeCode: number | null = null;
  /** The reason sent with `closeCode`. */
  closeReason: string | null = null;
  closed = false;
  // Created on first use: most connections of a connect storm are idle, and every byte counts per connection.
  private subscriptionsByChannel: Map<string, Subscription> | null = null;
  private authorizationCache: Map<string, boolean> | null = null;
  private authorizationCacheChars = 0;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    identity: Identity,
    private readonly context: ConnectionContext,
    tokenExpiryLeadMs: number,
    readonly source: ConnectionSource,
  ) {
    const { metadataJson: _sentOnceInWelcome, ...kept } = identity;
    this.identity = kept;
    this.closeAtMs = identity.expiresAt === null ? null : identity.expiresAt * 1000 - tokenExpiryLeadMs;
    this.appId = identity.app.appId;
    this.peerId = identity.peerId;
    this.keyId = identity.key.keyId;
    this.key = identity.key;
    this.permissions = identity.permissions;
    this.canPresence = identity.permissions.has("presence");
    this.peerMetadataJson = identity.peerMetadataJson;
    this.bucket = new TokenBucket(identity.app.limits.tokenBucketBurst);
    this.frameBudget = new FrameBudget(identity.app.limits);
  }

  /** The frame scheduler stops reading the socket while frames wait in the backlog (the kernel holds the rest). */
  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }

  /** True from the moment this server decided to close (or the socket closed): nothing more is sent or handled. */
  get isClosing(): boolean {
    return this.closed || this.closeCode !== null;
  }

  /** This connection's subscriptions by channel (the hub adds and removes them). */
  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.subscriptionsByChannel ?? NO_SUBSCRIPTIONS;
  }

  addSubscription(subscription: Subscription): void {
    (this.subscriptionsByChannel ??= new Map()).set(subscription.channel, subscription);
  }

  removeSubscription(channel: string): void {
    this.subscriptionsByChannel?.delete(channel);
  }

  /** Cached channel-authorization decisions; `decide` runs on a miss. */
  authorized(channel: string, decide: () => boolean): boolean {
    const cache = (this.authorizationCache ??= new Map());
    const cached = cache.get(channel);
    if (cached !== undefined) return cached;
    const decision = decide();
    if (cache.size >= AUTHORIZATION_CACHE_MAX_ENTRIES || this.authorizationCacheChars + channel.length > AUTHORIZATION_CACHE_MAX_CHARS) {
      cache.clear();
      this.authorizationCacheChars = 0;
    }
    // Under the token's own string when it names the channel: no second copy of a 256-byte name.
    cache.set(this.identity.tokenChannels?.find((claimed) => claimed === channel) ?? channel, decision);
    this.authorizationCacheChars += channel.length;
    return decision;
  }

  updateKey(key: SnapshotKey): void {
    if (key === this.key) return;
    this.key = key;
    this.permissions = effectivePermissions(key, this.identity.tokenPermissions);
    this.canPresence = this.permissions.has("presence");
    this.authorizationCache = null;
    this.authorizationCacheChars = 0;
  }

  /** A control frame (JSON text from a ServerFrame builder), counted by type. */
  sendFrame(type: ServerFrameType, text: string): void {
    if (this.write(text)) RelayCounters.bump(this.context.counters.framesOut, type);
  }

  sendAck(requestId: string | undefined): void {
    if (requestId !== undefined) this.sendFrame(ServerFrameType.Ack, ServerFrame.ack(requestId));
  }

  sendError(code: string, message: string, requestId?: string): void {
    this.sendFrame(ServerFrameType.Error, ServerFrame.error(code, message, requestId));
  }

  /**
   * Sends unless the connection is closing; false when nothing was sent. `framed` is the same payload
   * already wrapped in a WebSocket frame (the fan-out fast path); the caller counts fan-out frames.
   * A control frame is framed here, into one buffer and one socket write, rather than by `ws.send`.
   */
  write(payload: Buffer | string, framed?: Buffer): boolean {
    if (this.isClosing) return false;
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.context.sendBufferLimitBytes) {
      this.closeAsSlowConsumer(ws.bufferedAmount);
      return false;
    }
    if (!writeFramed(ws, framed ?? textFrame(typeof payload === "string" ? Buffer.from(payload) : payload))) ws.send(payload, { binary: false });
    return true;
  }

  /**
   * Keeps a live message of a subscription being replayed to, for after its replay. Messages held past
   * the send buffer's cap (a replay that lags that far behind the channel) close the reader as a slow
   * consumer, as a full send buffer would.
   */
  holdForReplay(subscription: Subscription, message: HeldMessage): void {
    if (this.isClosing || !subscription.heldMessages) return;
    subscription.heldBytes = (subscription.heldBytes ?? 0) + message.payload.length;
    if (subscription.heldBytes > this.context.sendBufferLimitBytes) return this.closeAsSlowConsumer(this.ws.bufferedAmount + subscription.heldBytes);
    subscription.heldMessages.push(message);
  }

  private closeAsSlowConsumer(pendingBytes: number): void {
    this.context.counters.slowConsumerCloses += 1;
    this.context.logger.info("closing slow consumer", { connectionId: this.id, appId: this.appId, bufferedBytes: pendingBytes });
    this.close(Disconnect.SlowConsumer);
  }

  close(disconnect: { code: number; reason: string }): void {
    if (this.isClosing) return;
    this.closeCode = disconnect.code;
    this.closeReason = disconnect.reason;
    this.ws.close(disconnect.code, disconnect.reason);
    // A peer that never answers the close handshake must not hold its lease.
    const terminate = setTimeout(() => this.ws.terminate(), disconnect.code === CloseCode.PolicyViolation ? this.context.slowConsumerTerminateMs : this.context.closeWaitMs);
    terminate.unref();
  }
}
