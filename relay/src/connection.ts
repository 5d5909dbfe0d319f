// One client connection's state. Owned by the RelayServer; holds no logic beyond bookkeeping.
import type { WebSocket } from "ws";
import { effectivePermissions } from "./auth";
import type { Identity } from "./auth";
import { rawFrameWriter } from "./raw-frame";
import type { RawFrameWriter } from "./raw-frame";
import { TokenBucket } from "./enforcement/token-bucket";
import type { Action, SnapshotKey } from "./protocol";
import type { JsonObject } from "./state/types";

export interface Subscription {
  channel: string;
  includeSenderMetadata: boolean;
  /** Wildcard subscriptions receive messages of every matching channel but no presence. */
  wildcard: boolean;
  regex?: RegExp;
}

const AUTHORIZATION_CACHE_MAX = 512;

export class Connection {
  readonly appId: string;
  readonly peerId: string;
  readonly keyId: string;
  /** Effective actions; re-derived when the key's actions change in a new snapshot. */
  permissions: ReadonlySet<Action>;
  canPresence: boolean;
  readonly peerMetadata: JsonObject | undefined;
  readonly connectedAtMs = Date.now();
  readonly subscriptions = new Map<string, Subscription>();
  readonly bucket: TokenBucket;
  /** The key as of the latest snapshot (patterns may change while connected). */
  key: SnapshotKey;
  /** Frames waiting behind an asynchronous one (subscribe, send, recharge), keeping per-connection order. */
  queue: Promise<void> | null = null;
  queuedBytes = 0;
  connectionMinutesCounted = 1;
  awaitingPongSinceMs: number | null = null;
  expiryTimer: NodeJS.Timeout | null = null;
  /** The close code this server chose, recorded before the close handshake completes. */
  closeCode: number | null = null;
  closed = false;
  /** Fan-out fast path (pre-framed writes); null when unavailable. */
  readonly rawWriter: RawFrameWriter | null;
  private readonly authorizationCache = new Map<string, boolean>();

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly identity: Identity,
  ) {
    this.appId = identity.app.appId;
    this.peerId = identity.peerId;
    this.keyId = identity.key.keyId;
    this.key = identity.key;
    this.permissions = identity.permissions;
    this.canPresence = identity.permissions.has("presence");
    this.peerMetadata = identity.peerMetadata;
    this.bucket = new TokenBucket(identity.app.limits.tokenBucketBurst);
    this.rawWriter = rawFrameWriter(ws);
  }

  /** Cached channel-authorization decisions; `decide` runs on a miss. */
  authorized(channel: string, decide: () => boolean): boolean {
    const cached = this.authorizationCache.get(channel);
    if (cached !== undefined) return cached;
    const decision = decide();
    if (this.authorizationCache.size >= AUTHORIZATION_CACHE_MAX) this.authorizationCache.clear();
    this.authorizationCache.set(channel, decision);
    return decision;
  }

  updateKey(key: SnapshotKey): void {
    if (key === this.key) return;
    this.key = key;
    this.permissions = effectivePermissions(key, this.identity.tokenPermissions);
    this.canPresence = this.permissions.has("presence");
    this.authorizationCache.clear();
  }
}
