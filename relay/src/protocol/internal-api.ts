// The contract between the control plane and relay nodes (docs/ARCHITECTURE.md §1). Both sides parse with these
// schemas, so a change here is a change to both. All internal calls carry
// `Authorization: Bearer <RELAY_SECRET>`.
import { z } from "zod";
import { HistoryLimits, channelHistoryQueryString } from "./history";
import type { ChannelHistoryQuery } from "./history";
import { ACTIONS, Limits, PlanDefaults } from "./limits";

export const INTERNAL_AUTH_HEADER = "authorization";

/** Control plane paths the relay calls. */
export const ControlPlanePath = {
  /** POST: the enforcement state of the app a key id names, or of a few app ids (AppStateRequest). */
  appStates: "/api/internal/relay/app-states",
  /** GET `?since=<cursor>`: which apps changed after the cursor (without one: the feed's head cursor). */
  changes: "/api/internal/relay/changes",
  usage: "/api/internal/relay/usage",
  recharge: "/api/internal/relay/recharge",
} as const;

/** Relay paths the control plane calls (on RELAY_INTERNAL_URL), for /v1 REST operations that need live state. */
export const RelayInternalPath = {
  /** POST: the change feed has a new version; the node polls it at once (202). */
  planChanged: "/internal/plan-changes",
  stats: (appId: string) => `/internal/apps/${encodeURIComponent(appId)}/stats`,
  /** GET: one page of the channel's peers (ChannelPeersQuery in the query string). */
  channelPeers: (appId: string, channel: string, page: ChannelPeersQuery = { limit: Limits.channelPeersDefaultLimit }) =>
    `/internal/apps/${encodeURIComponent(appId)}/channels/${encodeURIComponent(channel)}/peers?${channelPeersQueryString(page)}`,
  /** GET: the newest messages of the channel's history (ChannelHistoryQuery in the query string). */
  channelHistory: (appId: string, channel: string, query: ChannelHistoryQuery) =>
    `/internal/apps/${encodeURIComponent(appId)}/channels/${encodeURIComponent(channel)}/history?${channelHistoryQueryString(query)}`,
  publish: (appId: string, channel: string) =>
    `/internal/apps/${encodeURIComponent(appId)}/channels/${encodeURIComponent(channel)}/publish`,
  /** DELETE: closes the peer's connections on every node, with 4020 and the reason of `by` (default: the app's backend). */
  disconnectPeer: (appId: string, peerId: string, by: PeerDisconnectBy = "backend") =>
    `/internal/apps/${encodeURIComponent(appId)}/peers/${encodeURIComponent(peerId)}${by === "backend" ? "" : `?by=${by}`}`,
  /** GET: every node's open connections of the app (ConnectionsQuery) and its recently closed ones. */
  connections: (appId: string, query: ConnectionsQuery = { limit: Limits.connectionsDefaultLimit }) =>
    `/internal/apps/${encodeURIComponent(appId)}/connections?limit=${query.limit}`,
} as const;

/** `error` codes of the internal API's `{error, message}` answers (callers branch on these, never on the message). */
export const InternalApiError = {
  /** 404: the control plane knows no such app (or it was deleted). */
  UnknownApp: "unknown_app",
  /** 404: no such route. */
  NotFound: "not_found",
  Unauthorized: "unauthorized",
  InvalidRequest: "invalid_request",
  ChannelReserved: "channel_reserved",
  /** 503: other relay nodes could not be reached; retry. */
  Unavailable: "unavailable",
} as const;
export type InternalApiError = (typeof InternalApiError)[keyof typeof InternalApiError];

/** Default Redis pub/sub channel of plan-change notices (REDIS_PLAN_CHANGE_CHANNEL on both sides). */
export const PLAN_CHANGE_CHANNEL = "tollgate:plan-changes";

/**
 * "The change feed has a new version": published on PLAN_CHANGE_CHANNEL with Redis, or POSTed to
 * RelayInternalPath.planChanged without it. Relays poll the feed at once; the fields are for logs.
 */
export const planChangeNoticeSchema = z.object({
  kind: z.enum(["plan", "override", "app", "status", "key", "billing"]),
  appId: z.string().max(64).optional(),
  atUnixMs: z.number().int(),
});
export type PlanChangeNotice = z.infer<typeof planChangeNoticeSchema>;

/** The answer to a plan-change notice (RelayInternalPath.planChanged). */
export const acceptedResponseSchema = z.object({ accepted: z.literal(true) });

export const actionSchema = z.enum(ACTIONS);

export const snapshotKeySchema = z.object({
  keyId: z.string(),
  kind: z.enum(["secret", "publishable"]),
  channelPatterns: z.array(z.string()),
  actions: z.array(actionSchema),
  allowedOrigins: z.array(z.string()),
  revoked: z.boolean(),
  /** Unix seconds; a rolled key stays valid until then. */
  expiresAtUnix: z.number().int().nullable(),
  /** The `sk_secret_…` signing secret (secret keys only), decrypted only for the app-state call. */
  signingSecret: z.string().optional(),
});
export type SnapshotKey = z.infer<typeof snapshotKeySchema>;

export const effectiveLimitsSchema = z.object({
  /** null = no cap */
  maxConcurrentConnections: z.number().int().nonnegative().nullable(),
  /** null = no cap */
  maxMessagesPerPeriod: z.number().int().nonnegative().nullable(),
  tokenBucketRefillPerSecond: z.number().positive(),
  tokenBucketBurst: z.number().int().positive(),
  connectAttemptsPerIpPerMinute: z.number().int().positive(),
  // The frame budget (PROTOCOL §8); defaults for snapshots from before these fields (disk copy, older control plane).
  controlFrameRefillPerSecond: z.number().positive().default(PlanDefaults.controlFrameRefillPerSecond),
  controlFrameBurst: z.number().int().positive().default(PlanDefaults.controlFrameBurst),
  inboundBytesPerSecond: z.number().int().positive().default(PlanDefaults.inboundBytesPerSecond),
  // Channel history (protocol/history.ts); off for snapshots from before these fields.
  historySize: z.number().int().nonnegative().max(HistoryLimits.maxSize).default(PlanDefaults.historySize),
  historyTtlSeconds: z.number().int().nonnegative().max(HistoryLimits.maxTtlSeconds).default(PlanDefaults.historyTtlSeconds),
  // Channel limits (PROTOCOL §10), null = none; absent in snapshots from before these fields.
  /** Distinct peers one channel may hold across nodes (more: `channel_full`). */
  maxPeersPerChannel: z.number().int().positive().nullable().default(null),
  /** Channels of the app with at least one exact subscriber across nodes (one more: `channel_quota_exceeded`). */
  maxActiveChannels: z.number().int().positive().nullable().default(null),
});
export type EffectiveLimits = z.infer<typeof effectiveLimitsSchema>;

export const snapshotAppSchema = z.object({
  appId: z.string(),
  status: z.enum(["active", "suspended"]),
  planName: z.string(),
  limits: effectiveLimitsSchema,
  billing: z.object({
    overagesAllowed: z.boolean(),
    overagesEnabled: z.boolean(),
    balanceMinor: z.number().int(),
    autoRechargeEnabled: z.boolean(),
    overagePricePer1000MessagesMinor: z.number().int().nonnegative(),
    overagePricePerConnectionMinor: z.number().int().nonnegative(),
    /**
     * Pay-as-you-go past its free allowance: all usage is billed from the balance (after the fact, per
     * flush), so new connections and messages need a positive balance or a successful recharge.
     * Defaults to false for snapshots from before the field existed (disk copy, older control plane).
     */
    usageBilledFromBalance: z.boolean().default(false),
  }),
  period: z.object({ startUnix: z.number().int(), endUnix: z.number().int() }),
  /**
   * The next moment (Unix seconds) this state changes by the clock alone, before the period's end: a
   * past-due plan's grace ending. The relay asks for the app again then (and at the period's end).
   */
  changesAtUnix: z.number().int().nullable().default(null),
  /** The change-feed version this state reflects (a feed entry at or below it is already applied). */
  version: z.string().max(64),
  /** Usage already counted this period (the relay's counters start here, so restarts keep quotas). */
  usage: z.object({
    messagesUsed: z.number().int().nonnegative(),
    overageMessages: z.number().int().nonnegative(),
    overageConnections: z.number().int().nonnegative(),
    peakConcurrent: z.number().int().nonnegative(),
  }),
  keys: z.array(snapshotKeySchema),
});
export type SnapshotApp = z.infer<typeof snapshotAppSchema>;

/** Most app ids one app-state request names (a relay asks for the apps it holds that the feed says changed). */
export const APP_STATES_MAX_APPS = 500;
/** Most entries one change-feed answer lists; `more` says to ask again from its cursor. */
export const CHANGE_FEED_PAGE_SIZE = 2_000;

export const appStateRequestSchema = z.union([
  z.object({ keyId: z.string().min(1).max(Limits.maxKeyIdBytes) }),
  z.object({ appIds: z.array(z.string().min(1).max(64)).min(1).max(APP_STATES_MAX_APPS) }),
]);
export type AppStateRequest = z.infer<typeof appStateRequestSchema>;

/** The apps asked for that exist (a deleted or unknown one is absent), as of the database clock's `generatedAtUnixMs`. */
export const appStatesResponseSchema = z.object({
  generatedAtUnixMs: z.number().int(),
  apps: z.array(snapshotAppSchema).max(APP_STATES_MAX_APPS),
});
export type AppStatesResponse = z.infer<typeof appStatesResponseSchema>;

/**
 * A page of the change feed: the apps whose enforcement state changed after the asked cursor, in feed
 * order, with the version of each one's latest change. `cursor` is opaque: pass it as the next `since`.
 */
export const changeFeedResponseSchema = z.object({
  cursor: z.string().min(1).max(160),
  changes: z.array(z.object({ appId: z.string().max(64), version: z.string().max(64) })).max(CHANGE_FEED_PAGE_SIZE),
  more: z.boolean(),
});
export type ChangeFeedResponse = z.infer<typeof changeFeedResponseSchema>;

export const usageSampleSchema = z.object({
  minuteUnix: z.number().int(),
  /** Accepted publish/send in the minute; refused ones are in `softDrops`. */
  messages: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  egressBytes: z.number().int().nonnegative(),
  connectionMinutes: z.number().int().nonnegative(),
  /** The most connections open at any moment of the minute (connections that stay open count). */
  peakConcurrent: z.number().int().nonnegative(),
  softDrops: z.number().int().nonnegative(),
});
export type UsageSample = z.infer<typeof usageSampleSchema>;

export const appUsageDeltaSchema = z.object({
  appId: z.string(),
  /** The billing period the deltas belong to (from the snapshot). */
  periodStartUnix: z.number().int(),
  /** Publish/send accepted (overage-billed included); refused ones are only in `softDrops` (PROTOCOL §6). */
  messagesAccepted: z.number().int().nonnegative(),
  deliveredMessages: z.number().int().nonnegative(),
  egressBytes: z.number().int().nonnegative(),
  egressBlocks: z.number().int().nonnegative(),
  connectionMinutes: z.number().int().nonnegative(),
  peakConcurrent: z.number().int().nonnegative(),
  overageMessages: z.number().int().nonnegative(),
  overageConnections: z.number().int().nonnegative(),
  softDrops: z.number().int().nonnegative(),
  closesByCode: z.record(z.string(), z.number().int().nonnegative()),
  /**
   * Subscribes refused by a channel limit (PROTOCOL §10), per error code (`channel_full`,
   * `channel_quota_exceeded`); absent from relays that predate the limits.
   */
  refusedSubscribes: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** The most channels with a subscriber the app had across nodes, as the joins this node made saw it (the maxActiveChannels alerts). */
  peakActiveChannels: z.number().int().nonnegative().default(0),
  /** Per key id: messages accepted and connections opened/refused with it. */
  byKey: z.record(
    z.string(),
    z.object({ messages: z.number().int().nonnegative(), connections: z.number().int().nonnegative() }),
  ),
  samples: z.array(usageSampleSchema),
});
export type AppUsageDelta = z.infer<typeof appUsageDeltaSchema>;

/** Every count a usage delta carries, at 0: where a period's delta starts. */
export const ZERO_USAGE_COUNTS = {
  messagesAccepted: 0,
  deliveredMessages: 0,
  egressBytes: 0,
  egressBlocks: 0,
  connectionMinutes: 0,
  peakConcurrent: 0,
  overageMessages: 0,
  overageConnections: 0,
  softDrops: 0,
} as const satisfies Partial<AppUsageDelta>;

export const usageBatchSchema = z.object({
  /** Unique per batch; the control plane applies a batch id at most once. */
  batchId: z.string().min(8).max(128),
  relayId: z.string().min(1).max(128),
  sentAtUnixMs: z.number().int(),
  apps: z.array(appUsageDeltaSchema),
});
export type UsageBatch = z.infer<typeof usageBatchSchema>;

export const usageBatchResponseSchema = z.object({
  /** false when this batch id had already been applied (the retry is acknowledged, not re-counted). */
  applied: z.boolean(),
  apps: z.array(z.object({ appId: z.string(), balanceMinor: z.number().int() })),
  /**
   * The period's authoritative `messagesUsed` after this batch, per app period of the batch: it contains
   * the batch and everything applied before it. The relay adopts it as its baseline in the same step as
   * it stops counting the batch as unacknowledged, so its count never falls back.
   */
  periods: z.array(z.object({ appId: z.string(), periodStartUnix: z.number().int(), messagesUsed: z.number().int().nonnegative() })),
  /**
   * The control plane's database clock once the batch was committed: a snapshot generated later (on the
   * same clock) already shows this batch's debits in its balances, an older one does not.
   */
  asOfUnixMs: z.number().int(),
});
export type UsageBatchResponse = z.infer<typeof usageBatchResponseSchema>;

export const rechargeRequestSchema = z.object({ appId: z.string(), reason: z.enum(["connection", "message"]) });
export const rechargeResponseSchema = z.object({
  recharged: z.boolean(),
  balanceMinor: z.number().int(),
  /** Human-readable cause when not recharged (auto-recharge off, card declined, …). */
  reason: z.string().optional(),
  /** The balance's time on the control plane's database clock, the clock of `generatedAtUnixMs` and `asOfUnixMs`. */
  asOfUnixMs: z.number().int(),
});
export type RechargeResponse = z.infer<typeof rechargeResponseSchema>;

/** Most usage batch entries one node lists for an app in a stats answer (an hour of 10 s flushes; older ones are left out). */
export const LIVE_USAGE_MAX_BATCHES = 360;
/** Most nodes a stats answer lists. */
export const LIVE_USAGE_MAX_NODES = 256;

const count = z.number().int().nonnegative();

/**
 * Usage a node counted that the control plane may not have applied yet: one entry per usage batch, the
 * batch still being filled included (it already carries the id it will be sent with). The control plane
 * adds the entries whose batch id it has not applied to its saved totals, so a figure is exact whatever
 * was flushed between the answer and the read, and never counts a batch twice.
 */
export const unflushedUsageSchema = z.object({
  batchId: z.string().min(8).max(128),
  periodStartUnix: z.number().int(),
  messagesAccepted: count,
  deliveredMessages: count,
  egressBytes: count,
  egressBlocks: count,
  connectionMinutes: count,
  peakConcurrent: count,
  overageMessages: count,
  overageConnections: count,
  softDrops: count,
});
export type UnflushedUsage = z.infer<typeof unflushedUsageSchema>;

/** One relay node's live view of an app. */
export const nodeUsageReportSchema = z.object({
  relayId: z.string().min(1).max(128),
  /** The node's clock when it measured: orders one node's reports (not comparable across nodes). */
  measuredAtUnixMs: z.number().int(),
  /** The billing period the node counts the app in. */
  periodStartUnix: z.number().int(),
  /** The app's connections open on this node. */
  connections: count,
  /** The app's channels with at least one exact (not wildcard) subscriber on this node. */
  activeChannels: count,
  /**
   * The app's channels with at least one exact subscriber on any node, as the shared state counts them
   * for `maxActiveChannels` (PROTOCOL §10): only the answering node's report carries it.
   */
  appActiveChannels: count.optional(),
  /** The most connections the app had open at once this period, as far as this node knows. */
  peakConcurrent: count,
  unflushed: z.array(unflushedUsageSchema).max(LIVE_USAGE_MAX_BATCHES),
});
export type NodeUsageReport = z.infer<typeof nodeUsageReportSchema>;

export const relayStatsResponseSchema = z.object({
  appId: z.string(),
  /** The billing period the relay counts in: the control plane uses its live counts only for that period. */
  periodStartUnix: z.number().int(),
  /** Connections across all nodes (the shared lease count). */
  concurrentNow: count,
  peakConcurrent: count,
  /** The answering node's quota counter (across nodes, within one counter sync). */
  messagesUsed: count,
  /** Every node that answered within the reply timeout (the answering node first); a node missing here is late. */
  nodes: z.array(nodeUsageReportSchema).min(1).max(LIVE_USAGE_MAX_NODES),
  /** Every node answered: one the caller knew that is not in `nodes` is gone (stopped, restarted under a new id). */
  allNodesAnswered: z.boolean(),
});
export type RelayStatsResponse = z.infer<typeof relayStatsResponseSchema>;
/**
 * `GET /v1/channels/:channel/peers` pages through a channel's peers in peerId order. The cursor is opaque
 * to clients (base64url of the page's last peerId), so a page boundary stays put while peers come and go:
 * a peer present throughout a walk is listed exactly once.
 */
export function encodeChannelPeersCursor(lastPeerId: string): string {
  return Buffer.from(lastPeerId, "utf8").toString("base64url");
}

/** The peerId a cursor continues after; null when it is not a cursor this API issued. */
export function decodeChannelPeersCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const peerId = Buffer.from(cursor, "base64url").toString("latin1");
  const printableAscii = /^[\x20-\x7e]+$/.test(peerId);
  return printableAscii && peerId.length <= Limits.maxPeerIdBytes && encodeChannelPeersCursor(peerId) === cursor ? peerId : null;
}

export const channelPeersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(Limits.channelPeersMaxLimit).default(Limits.channelPeersDefaultLimit),
  cursor: z
    .string()
    .max(256)
    .refine((cursor) => decodeChannelPeersCursor(cursor) !== null, "not a cursor from a previous page")
    .optional(),
});
export type ChannelPeersQuery = z.infer<typeof channelPeersQuerySchema>;

function channelPeersQueryString(page: ChannelPeersQuery): string {
  const query = new URLSearchParams({ limit: String(page.limit) });
  if (page.cursor !== undefined) query.set("cursor", page.cursor);
  return query.toString();
}

export const channelPeersResponseSchema = z.object({
  channel: z.string(),
  peers: z.array(z.object({ peerId: z.string(), metadata: z.record(z.string(), z.unknown()).optional() })),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export const relayPublishRequestSchema = z.object({
  data: z.unknown(),
  from: z.string().optional(),
  peerMetadata: z.record(z.string(), z.unknown()).optional(),
});
/** `dropped` is set when the app's message quota refused the publish (REST answers 429). */
export const relayPublishResponseSchema = z.object({
  channel: z.string(),
  delivered: z.number().int().nonnegative(),
  dropped: z.enum(["over_message_quota"]).optional(),
});
/** Who asked a peer to be disconnected: the app's backend (`DELETE /v1/peers/:id`) or a team owner in the dashboard. */
export const peerDisconnectBySchema = z.enum(["backend", "owner"]);
export type PeerDisconnectBy = z.infer<typeof peerDisconnectBySchema>;
export const peerDisconnectQuerySchema = z.object({ by: peerDisconnectBySchema.default("backend") });

export const connectionsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(Limits.connectionsMaxLimit).default(Limits.connectionsDefaultLimit),
});
export type ConnectionsQuery = z.infer<typeof connectionsQuerySchema>;

/** One open connection as the dashboard's inspector shows it. */
export const liveConnectionSchema = z.object({
  connectionId: z.string().max(256),
  peerId: z.string().max(Limits.maxPeerIdBytes),
  keyId: z.string().max(256),
  /** The client's address as the relay saw it (X-Forwarded-For only from trusted proxies). */
  address: z.string().max(256),
  /** The upgrade's Origin header; null when the client sent none (a server-side client). */
  origin: z.string().max(2048).nullable(),
  connectedAtUnixMs: z.number().int(),
});
export type LiveConnection = z.infer<typeof liveConnectionSchema>;

export const closedConnectionSchema = liveConnectionSchema.extend({
  closedAtUnixMs: z.number().int(),
  code: z.number().int(),
  /** The reason sent in the close frame when this relay closed it (a Disconnect reason), else null. */
  reason: z.string().max(128).nullable(),
});
export type ClosedConnection = z.infer<typeof closedConnectionSchema>;

/** One node's part of the inspector: its oldest `limit` open connections of the app, how many it has, its recent closes (newest first). */
export const nodeConnectionsSchema = z.object({
  relayId: z.string().min(1).max(128),
  open: count,
  connections: z.array(liveConnectionSchema).max(Limits.connectionsMaxLimit),
  recentlyClosed: z.array(closedConnectionSchema).max(Limits.recentClosesPerApp),
});
export type NodeConnections = z.infer<typeof nodeConnectionsSchema>;

export const relayConnectionsResponseSchema = z.object({
  appId: z.string(),
  /** Every node that answered in time, the answering node first. */
  nodes: z.array(nodeConnectionsSchema).min(1).max(LIVE_USAGE_MAX_NODES),
  allNodesAnswered: z.boolean(),
});
export type RelayConnectionsResponse = z.infer<typeof relayConnectionsResponseSchema>;

export const disconnectPeerResponseSchema = z.object({ peerId: z.string(), closed: z.number().int().nonnegative() });
