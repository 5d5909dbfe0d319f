// The relay's state seam (ARCHITECTURE §1 "Global limits"): everything that must become global when
// several relay nodes run behind one control plane lives behind these interfaces. The gates and the
// server only talk to them; `memory/` holds the single-node implementation and a later `redis/` one
// must pass the same contract suite (`../contract.ts`).
//
// Design rules every implementation follows:
// - Decisions are local and fast; counting is global and asynchronous with bounded overshoot.
// - Nothing on the per-message hot path awaits the network: message counters are synchronous and
//   channel fan-out is fire-and-forget with synchronous local delivery.
// - Connection ids are globally unique (the server prefixes them with its relay id), so they can be
//   used as lease and presence members across nodes.

import type { HistoryRetention, NodeConnections, NodeUsageReport, StreamPosition } from "../protocol";

/** A JSON object (a REST publish's `peerMetadata` before it is serialized). */
export type JsonObject = Record<string, unknown>;

export interface LeaseResult {
  /** false when the app already held `limit` connections (nothing was acquired). */
  acquired: boolean;
  /** The app's global connection count after the call (including this lease when acquired). */
  count: number;
}

/**
 * Concurrent connections per app, across all nodes. A lease is held for the lifetime of one
 * WebSocket connection; a Redis implementation heartbeats its node's leases so a crashed node's
 * connections expire instead of leaking.
 */
export interface ConnectionLeaseStore {
  /**
   * Takes a lease for `connectionId` when the app holds fewer than `limit` connections
   * (`limit` null = no cap, always acquired: used for uncapped plans and for admitted overage
   * connections). Acquiring an id that already holds a lease is a no-op that reports acquired.
   * Synchronous where the count is local (memory), so a single node admits a connect without a
   * microtask hop; a shared store answers with a Promise.
   */
  acquire(appId: string, connectionId: string, limit: number | null): LeaseResult | Promise<LeaseResult>;
  /** Releases the lease; releasing an unknown id is a no-op. */
  release(appId: string, connectionId: string): Promise<void>;
  /** The app's global connection count. */
  count(appId: string): Promise<number>;
}

/**
 * Message-quota counters per app and billing period (`periodStartUnix` from the snapshot): the period's
 * accepted publish/send (PROTOCOL §6). All methods are synchronous: `increment` runs for every accepted
 * publish/send. A Redis implementation keeps a local view, adds increments locally at once and pushes
 * them in the background, folding the global value back into its view; overshoot is bounded by the
 * sync interval.
 *
 * Exact by construction: total = baseline + increments the control plane has not acknowledged. The
 * control plane's period count only grows, so a larger count is a newer one: a baseline never moves
 * down. An acknowledgement carries the period count right after its batch and moves the batch from
 * "unacknowledged" into the baseline in one step. While a batch has been sent but not acknowledged, a
 * snapshot may or may not contain it, so snapshot baselines wait until it is acknowledged.
 */
export interface MessageCounterStore {
  /**
   * The control plane's count for the period from a snapshot (`usage.messagesUsed`). Adopted when the
   * counter has no baseline yet, else only when it is larger and no batch of this node is in flight. A
   * baseline for a newer period starts that period's counter afresh.
   */
  setBaseline(appId: string, periodStartUnix: number, messagesUsed: number): void;
  /** Adds `count` accepted messages (negative: returns a reservation that was refused after all); returns the period total afterwards. */
  increment(appId: string, periodStartUnix: number, count: number): number;
  /** Best-known period total: baseline plus increments not yet reflected in the baseline. */
  total(appId: string, periodStartUnix: number): number;
  /** `count` increments of the period left in a usage batch; until it is acknowledged the batch is in flight. */
  sent(appId: string, periodStartUnix: number, count: number): void;
  /**
   * The batch with `count` increments of the period was applied; `periodTotal` is the control plane's
   * count right after it (it contains the batch). Moves the batch into the baseline atomically.
   */
  acknowledge(appId: string, periodStartUnix: number, count: number, periodTotal: number): void;
}

/**
 * A present peer. Its metadata travels as the JSON text of an object, serialized once when the peer
 * connected: a string costs its bytes, where the parsed object could cost many times more.
 */
export interface PresenceMember {
  peerId: string;
  metadataJson?: string;
}

/** An app's channel limits (PROTOCOL §10), checked in the same atomic step as the join; null = no limit. */
export interface ChannelLimits {
  /** Distinct peers one channel may hold. */
  maxPeersPerChannel: number | null;
  /** Channels of the app with at least one peer. */
  maxActiveChannels: number | null;
}

export const NO_CHANNEL_LIMITS: ChannelLimits = { maxPeersPerChannel: null, maxActiveChannels: null };

/** Why a join was refused: the limit it would have passed, its value, and the count already there. */
export interface ChannelRefusal {
  limit: keyof ChannelLimits;
  max: number;
  count: number;
}

export interface JoinResult {
  /** The peer was not present before (the caller announces it); false when refused. */
  firstForPeer: boolean;
  /** Set when the join was refused: nothing changed. */
  refused?: ChannelRefusal;
  /** Set when this join made the channel active (its first peer): the app's active channels after it. */
  activeChannels?: number;
}

/**
 * Presence per app and channel, with multi-connection peers: a peer is present while at least one
 * of its connections is joined, on any node. A channel with at least one peer is an active channel
 * of its app.
 */
export interface PresenceStore {
  /**
   * Adds one connection of `peerId`. `firstForPeer` is true when the peer was not present before
   * (the caller announces it). Joining twice with the same connection id is idempotent. With
   * `limits`, a peer not yet present is refused when the channel already holds `maxPeersPerChannel`
   * peers, and the first peer of a channel when the app already has `maxActiveChannels` active
   * channels; a connection of a peer already present is never refused (the same peer counts once).
   */
  join(appId: string, channel: string, member: PresenceMember, connectionId: string, limits?: ChannelLimits): Promise<JoinResult>;
  /** The app's channels with at least one peer, across nodes. */
  activeChannelCount(appId: string): Promise<number>;
  /** Removes one connection; `lastForPeer` is true when the peer just left (the caller announces it). */
  leave(appId: string, channel: string, peerId: string, connectionId: string): Promise<{ lastForPeer: boolean }>;
  /**
   * Up to `limit` present peers after `afterPeerId` (from the first when null) in peerId order, each
   * once with the metadata of its first joined connection. Costs the page, not the channel. `nextAfter`
   * continues the walk (the page's last peerId), null when the page reached the end; a peer present
   * throughout a walk appears in exactly one of its pages.
   */
  rosterPage(appId: string, channel: string, afterPeerId: string | null, limit: number): Promise<RosterPage>;
}

export interface RosterPage {
  members: PresenceMember[];
  nextAfter: string | null;
}

/** A channel message; `dataJson` is the already-serialized `data` so a frame is built once per fan-out. */
export interface ChannelMessageEvent {
  appId: string;
  channel: string;
  fromPeerId: string;
  dataJson: string;
  /** The sender's peerMetadata as JSON text. */
  fromMetadataJson?: string;
  /** The publishing connection, which never receives its own message. */
  excludeConnectionId?: string;
  /** Where the channel's history stored it (history on and the store reachable); frames carry it as `offset` and `epoch`. */
  position?: StreamPosition;
}

/** A message as a channel's history keeps it. */
export interface HistoryEntry {
  offset: number;
  fromPeerId: string;
  dataJson: string;
  fromMetadataJson?: string;
  /** When the store kept it (Unix ms, the store's clock). */
  publishedAtMs: number;
}

/** What a history read found. */
export interface HistoryRead {
  /** The channel's stream; null when it has none (never published, or everything expired). */
  epoch: string | null;
  /** The offset of the stream's latest message (0 when there is no stream). */
  latestOffset: number;
  /** Oldest first; never an entry older than the retention time. */
  entries: HistoryEntry[];
}

/**
 * Each channel's recent messages (PROTOCOL "Channel history"), shared by every node. A channel's stream
 * numbers its messages 1, 2, 3… (the offset) and is named by its epoch; when the stream is lost (every
 * message expired, or the store restarted empty) the next message starts a new epoch at offset 1, so a
 * client holding an old position can tell that what it missed is gone. A stream keeps at most
 * `historySize` messages, each for `historyTtlSeconds`.
 */
export interface HistoryStore {
  /** Keeps the message; its position, or null when the store cannot be reached (the message goes out live without one). */
  append(appId: string, channel: string, message: Omit<HistoryEntry, "offset" | "publishedAtMs">, retention: HistoryRetention): Promise<StreamPosition | null>;
  /** Up to `limit` messages after `afterOffset`, oldest first. Throws HistoryUnavailableError when the store cannot be reached. */
  after(appId: string, channel: string, afterOffset: number, limit: number, retention: HistoryRetention): Promise<HistoryRead>;
  /** The newest `limit` messages before offset `before` (null: the newest of all), oldest first. Throws like `after`. */
  latest(appId: string, channel: string, limit: number, before: number | null, retention: HistoryRetention): Promise<HistoryRead>;
}

/** The shared history cannot be reached (Redis outage): nothing can be said about what a channel kept. */
export class HistoryUnavailableError extends Error {
  constructor() {
    super("channel history is unavailable (shared state unreachable)");
  }
}

export interface PresenceEvent {
  appId: string;
  channel: string;
  joined: PresenceMember[];
  left: Array<{ peerId: string }>;
  /** Connections of this peer do not receive the event (they are the subject of it). */
  excludePeerId?: string;
}

export interface DirectEvent {
  appId: string;
  toPeerId: string;
  fromPeerId: string;
  dataJson: string;
  /** The sender's peerMetadata as JSON text. */
  fromMetadataJson?: string;
}

/** What a node does with events for its own connections; each returns how many local connections it reached. */
export interface LocalDelivery {
  deliverChannelMessage(event: ChannelMessageEvent): number;
  deliverPresence(event: PresenceEvent): number;
  deliverDirect(event: DirectEvent): number;
  disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): number;
}

/**
 * Fan-out, direct sends and peer disconnects across nodes. Every node calls `attach` once with its
 * local delivery. A channel message or presence event reaches the sender's own delivery
 * (synchronously, before the call returns) and that of every node watching the app; a direct send or
 * disconnect reaches the nodes where the peer arrived. A node that does not watch an app hears none of
 * its channel traffic (fan-out only where there is interest).
 */
export interface MessageBus {
  attach(delivery: LocalDelivery): void;
  /**
   * This node has subscribers of the app (called for the first): from when the returned promise
   * resolves, every channel message and presence event of the app published anywhere reaches it.
   */
  watchApp(appId: string): Promise<void>;
  /** The app's last subscriber on this node left: stop hearing its traffic. */
  unwatchApp(appId: string): void;
  /** The peer's first connection on this node opened: direct sends and disconnects for it reach this node once this resolves. */
  peerArrived(appId: string, peerId: string): Promise<void>;
  /** The peer's last connection on this node closed. */
  peerDeparted(appId: string, peerId: string): void;
  /** Fire-and-forget; returns the number of connections reached on this node. */
  publishChannelMessage(event: ChannelMessageEvent): number;
  /**
   * Delivers like publishChannelMessage and resolves with the connections reached on all nodes (a REST
   * publish's `delivered`). Waits for the other nodes' answers, so it is not for the WebSocket hot path;
   * while they cannot be asked it delivers locally and counts only this node.
   */
  publishChannelMessageCounted(event: ChannelMessageEvent): Promise<number>;
  /** Fire-and-forget; returns the number of connections reached on this node. */
  publishPresence(event: PresenceEvent): number;
  /**
   * Connections reached on all nodes; 0 means no node has the peer (`peer_not_found`). Throws
   * OtherNodesUnreachableError when the peer is not on this node and the other nodes cannot be asked.
   */
  sendDirect(event: DirectEvent): Promise<number>;
  /** Connections closed on all nodes (0 when the peer is offline everywhere); throws like sendDirect. */
  disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): Promise<number>;
  /** How this node answers the other nodes' `gatherUsageReports` (every node sets it once). */
  reportUsageWith(reporter: (appId: string) => NodeUsageReport): void;
  /**
   * The other nodes' live usage of the app (the control plane's stats call). A node that does not
   * answer within the reply timeout is left out, as are all of them while they cannot be asked; then
   * `complete` is false and the caller keeps the missing nodes' last reports (shown as late). When it is
   * true every node answered, so a node the caller knew and that is not listed is gone.
   */
  gatherUsageReports(appId: string): Promise<GatheredUsageReports>;
  /** How this node answers the other nodes' `gatherConnections` (every node sets it once). */
  listConnectionsWith(lister: ConnectionLister): void;
  /** The other nodes' connection lists of the app (the dashboard's inspector); late nodes are left out like in `gatherUsageReports`. */
  gatherConnections(appId: string, limit: number): Promise<GatheredConnections>;
}

export type ConnectionLister = (appId: string, limit: number) => NodeConnections;

export interface GatheredUsageReports {
  reports: NodeUsageReport[];
  complete: boolean;
}

export interface GatheredConnections {
  nodes: NodeConnections[];
  complete: boolean;
}

/** The shared backend cannot carry a request to the other nodes (Redis outage), so "not found" would be a guess. */
export class OtherNodesUnreachableError extends Error {
  constructor() {
    super("other relay nodes are unreachable (shared state unavailable)");
  }
}

/** Health of a shared (networked) state backend, for /readyz and metrics. */
export interface StateHealth {
  backend: "redis";
  /** Serving with the node's local view because the backend is unreachable. */
  degraded: boolean;
  /** Length of the current outage (0 when healthy). */
  degradedForMs: number;
  /** Outages and successful reconciliations since start. */
  outages: number;
  reconciles: number;
  /** Events that did not reach the other nodes because the backend was unreachable. */
  eventsNotForwarded: number;
  /** Direct sends or disconnects that stopped waiting for some node's answer. */
  replyTimeouts: number;
  /** Channel messages and presence events received from other nodes (what fan-out costs this node). */
  eventsReceived: number;
}

/** One node's view of the shared state. */
export interface RelayState {
  leases: ConnectionLeaseStore;
  counters: MessageCounterStore;
  presence: PresenceStore;
  history: HistoryStore;
  bus: MessageBus;
  close(): Promise<void>;
  /** Backend health; absent for the in-memory state, which cannot be degraded. */
  health?(): StateHealth;
  /** Calls `listener` when the control plane announces a plan change (needs a shared backend). */
  onPlanChange?(listener: () => void): void;
}

/**
 * A group of nodes sharing state (one Redis, or one in-process hub for the memory implementation).
 * The contract suite uses several nodes of one cluster to check cross-node behaviour.
 */
export interface RelayStateCluster {
  node(nodeId: string): RelayState;
  close(): Promise<void>;
}
