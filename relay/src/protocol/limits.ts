// Protocol ceilings and defaults (PROTOCOL.md §1, §4, §5). Plan-tunable values are defaults only;
// the effective value comes from the app's plan in the relay's plan cache.

export const Limits = {
  maxInboundFrameBytes: 64 * 1024,
  maxSubscriptionsPerConnection: 100,
  maxChannelNameBytes: 256,
  maxPeerIdBytes: 128,
  /** A key id (`sk_id_…`, `pk_live_…`) is at most this long; a longer one is refused without a lookup. */
  maxKeyIdBytes: 128,
  maxRequestIdChars: 128,
  maxPeerMetadataBytes: 4 * 1024,
  /**
   * Connections one peerId of an app may hold on one relay node (more: close 4010
   * too_many_peer_connections). Far above a user's open tabs; bounds a direct send's fan-out.
   */
  maxConnectionsPerPeer: 32,
  maxMetadataBytes: 8 * 1024,
  maxTokenLifetimeSec: 86_400,
  defaultTokenLifetimeSec: 3_600,
  clockToleranceSec: 5,
  maxTokenChannels: 100,
  maxTokenPermissions: 16,
  maxKeysPerApp: 50,
  maxRestBodyBytes: 32 * 1024,
  /** Billing rounds each delivered payload up to blocks of this size. */
  egressBlockBytes: 4 * 1024,
  /**
   * Peers per roster page after a subscribe. The published SDK's MeteredPeer tracks at most 256 peers
   * per channel, so every roster it can hold still arrives as one frame.
   */
  presenceRosterPagePeers: 256,
  /**
   * A roster page also ends once its peers' metadata passes this many bytes (a peer is never split), so
   * building and writing one page is bounded work however large the metadata: 16 peers of 4 KB each.
   */
  presenceRosterPageMetadataBytes: 64 * 1024,
  /** `GET /v1/channels/:channel/peers`: peers per page when `limit` is not given, and the largest `limit`. */
  channelPeersDefaultLimit: 256,
  channelPeersMaxLimit: 1_000,
  /** The dashboard's connection inspector: open connections one node lists per call, when `limit` is not given and at most. */
  connectionsDefaultLimit: 50,
  connectionsMaxLimit: 200,
  /** Recently closed connections a node keeps per app (with their close code and reason), and apps it keeps them for. */
  recentClosesPerApp: 20,
  recentClosesMaxApps: 2_000,
  /** The server closes a token's connection this long before its `exp`. */
  tokenExpiryLeadMs: 250,
  serverPingIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
} as const;

export const PlanDefaults = {
  tokenBucketRefillPerSecond: 100,
  tokenBucketBurst: 200,
  /** The control-frame bucket (PROTOCOL §8): ping, subscribe, unsubscribe, malformed, unknown and binary frames. */
  controlFrameRefillPerSecond: 50,
  controlFrameBurst: 100,
  /** Inbound bytes per connection per second, every frame; the burst holds FrameBudgetRules.byteBurstSeconds of it. */
  inboundBytesPerSecond: 2 * 1024 * 1024,
  connectAttemptsPerIpPerMinute: 60,
  /** Channel history (protocol/history.ts): off by default; on when both are above 0. */
  historySize: 0,
  historyTtlSeconds: 0,
  planCacheRefreshMs: 60_000,
  usageFlushMs: 10_000,
  maxUsageFlushMs: 60_000,
} as const;

/** How the frame budget (relay/src/enforcement/frame-budget.ts) turns refusals into a close. */
export const FrameBudgetRules = {
  /** The byte bucket holds this many seconds of the plan's inbound bytes per second. */
  byteBurstSeconds: 4,
  /** A connection refused `rate_limited` this many times its control burst within the window is closed 4011. */
  floodRefusalsPerBurst: 3,
  floodWindowMs: 10_000,
} as const;

/** Channel prefixes no client may use (case-insensitive). */
export const RESERVED_CHANNEL_PREFIXES = ["_metered/", "_internal/", "_system/"] as const;

/**
 * What a key may grant and a token may claim. `usage` lets a token of a secret key read its app's usage
 * from a browser (`GET /v1/usage`, PROTOCOL §8); the relay ignores it. No default grants it.
 */
export const ACTIONS = ["publish", "subscribe", "presence", "send", "usage"] as const;
export type Action = (typeof ACTIONS)[number];
/** Actions only a secret key may grant: they are claimed by tokens, which only secret keys mint. */
export const SECRET_KEY_ONLY_ACTIONS: readonly Action[] = ["usage"];

export const DEFAULT_SECRET_KEY_ACTIONS: readonly Action[] = ["publish", "subscribe", "presence", "send"];
export const DEFAULT_PUBLISHABLE_KEY_ACTIONS: readonly Action[] = ["subscribe", "publish", "presence"];
export const DEFAULT_CHANNEL_PATTERNS: readonly string[] = ["**"];

export const KeyPrefix = {
  secretKeyId: "sk_id_",
  secretKeySecret: "sk_secret_",
  publishableKey: "pk_live_",
  app: "app_",
} as const;

/** Usage status per axis: healthy below 75 %, warning 75–89 %, critical from 90 %. */
export const UsageStatusThresholds = { warning: 0.75, critical: 0.9 } as const;
export type UsageStatus = "healthy" | "warning" | "critical";

export function usageStatus(used: number, limit: number | null): UsageStatus {
  if (limit === null || limit <= 0) return "healthy";
  const ratio = used / limit;
  if (ratio >= UsageStatusThresholds.critical) return "critical";
  if (ratio >= UsageStatusThresholds.warning) return "warning";
  return "healthy";
}
