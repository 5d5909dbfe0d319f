// The local hub: this node's connections indexed per app (channel subscriptions, wildcard
// subscriptions, peers, ids) and local delivery, which the state bus calls for every message,
// presence change, direct send and peer disconnect (LocalDelivery). Each fan-out frame is serialized
// and framed once per delivery, not per recipient.
import type { Connection, Subscription } from "./connection";
import type { CompiledGlob } from "./glob";
import { RelayCounters } from "./metrics";
import type { Meter } from "./metering";
import type { PlanCache } from "./plan-cache";
import { ServerFrame, ServerFrameType } from "./protocol";
import { textFrame } from "./raw-frame";
import type { StreamPosition } from "./protocol";
import type { ChannelMessageEvent, DirectEvent, LocalDelivery, MessageBus, PresenceEvent } from "./state/types";

/**
 * A channel's exact subscribers: the connection itself while it is the only one (its subscription is
 * in `connection.subscriptions`), a map to each one's subscription once there are several. Most
 * channels of a connection that subscribes to names of its own have one subscriber, and a map each
 * would cost ~200 bytes per subscription.
 */
type ChannelSubscribers = Connection | Map<Connection, Subscription>;

interface AppConnections {
  /** channel → its exact subscribers. */
  channels: Map<string, ChannelSubscribers>;
  wildcards: Set<{ connection: Connection; subscription: Subscription; glob: CompiledGlob }>;
  /** peerId → its connection, or a set once the peer has several (most peers have one: no set each). */
  peers: Map<string, Connection | Set<Connection>>;
  /** Every connection of the app on this node, by connection id. */
  byId: Map<string, Connection>;
  /** Subscriptions (exact and wildcard) of the app on this node: while any, the node watches the app's traffic. */
  subscriptionCount: number;
}

interface OutboundFrame {
  payload: Buffer;
  framed: Buffer;
}

function outboundFrame(payload: Buffer): OutboundFrame {
  return { payload, framed: textFrame(payload) };
}

/** The exact subscribers of a channel as a set, to skip them among wildcard subscribers. */
function subscribersSet(subscribers: ChannelSubscribers | undefined): Set<Connection> {
  if (subscribers instanceof Map) return new Set(subscribers.keys());
  return new Set(subscribers ? [subscribers] : []);
}

/** Each exact subscriber of the channel with its subscription. */
function subscriberEntries(subscribers: ChannelSubscribers, channel: string): Iterable<[Connection, Subscription]> {
  if (subscribers instanceof Map) return subscribers;
  const subscription = subscribers.subscriptions.get(channel);
  return subscription ? [[subscribers, subscription]] : [];
}

/** The string the channel's subscriptions keep, when it has subscribers on this node. */
function indexedName(subscribers: ChannelSubscribers | undefined, channel: string): string | undefined {
  if (subscribers instanceof Map) return subscribers.values().next().value?.channel;
  return subscribers?.subscriptions.get(channel)?.channel;
}

/**
 * The string a new subscription keeps as its channel: the one already indexed for the channel when
 * it has subscribers, else the token's `channels` entry naming it, else the subscribe frame's own. A
 * name is up to 256 bytes and a connection may hold 100 besides a token naming 100: each name is kept
 * once on a node, not once per subscriber and again per token (docs/security.md). A token entry naming
 * an indexed channel is pointed at the indexed string (an equal string: its claim is unchanged).
 */
function sharedChannelName(channel: string, subscribers: ChannelSubscribers | undefined, connection: Connection): string {
  const claims = connection.identity.tokenChannels;
  const claimIndex = claims ? claims.indexOf(channel) : -1;
  const claimed = claims?.[claimIndex];
  const indexed = indexedName(subscribers, channel);
  if (indexed === undefined) return claimed ?? channel;
  if (claims && claimed !== undefined) (claims as string[])[claimIndex] = indexed;
  return indexed;
}

/** Whether a replay up to `replayedUpTo` already sent the message at `position`. */
export function replayedAlready(replayedUpTo: StreamPosition, position: StreamPosition | undefined): boolean {
  return position !== undefined && position.epoch === replayedUpTo.epoch && position.offset <= replayedUpTo.offset;
}

export interface LocalHubOptions {
  /** Told when the node's interest in an app's traffic or in a peer's direct sends starts and ends (the message bus). */
  interest: Pick<MessageBus, "watchApp" | "unwatchApp" | "peerArrived" | "peerDeparted">;
  counters: RelayCounters;
  planCache: PlanCache;
  meter: Meter;
}

export class LocalHub implements LocalDelivery {
  private readonly apps = new Map<string, AppConnections>();

  constructor(private readonly options: LocalHubOptions) {}

  connectionCount(): number {
    let count = 0;
    for (const app of this.apps.values()) count += app.byId.size;
    return count;
  }

  /** Every open connection of this node (a copy: callers may close connections while iterating). */
  connections(): Connection[] {
    return [...this.apps.values()].flatMap((app) => [...app.byId.values()]);
  }

  *eachConnection(): Generator<Connection> {
    for (const app of this.apps.values()) yield* app.byId.values();
  }

  /** The app's open connections on this node. */
  appConnectionCount(appId: string): number {
    return this.apps.get(appId)?.byId.size ?? 0;
  }

  /** The app's channels with at least one exact subscriber on this node. */
  activeChannelCount(appId: string): number {
    return this.apps.get(appId)?.channels.size ?? 0;
  }

  *eachConnectionOf(appId: string): Generator<Connection> {
    const app = this.apps.get(appId);
    if (app) yield* app.byId.values();
  }

  /** How many connections the app's peerId holds on this node. */
  peerConnectionCount(appId: string, peerId: string): number {
    const entry = this.apps.get(appId)?.peers.get(peerId);
    if (!entry) return 0;
    return entry instanceof Set ? entry.size : 1;
  }

  /** Whether this node holds an open connection of the app. */
  hasApp(appId: string): boolean {
    return this.apps.has(appId);
  }

  /** Each app with a connection on this node, with one of its connections (for the app's identity). */
  *eachApp(): Generator<{ appId: string; anyConnection: Connection; size: number }> {
    for (const [appId, app] of this.apps) {
      const anyConnection = app.byId.values().next().value;
      if (anyConnection) yield { appId, anyConnection, size: app.byId.size };
    }
  }

  private appConnections(appId: string): AppConnections {
    let app = this.apps.get(appId);
    if (!app) {
      app = { channels: new Map(), wildcards: new Set(), peers: new Map(), byId: new Map(), subscriptionCount: 0 };
      this.apps.set(appId, app);
    }
    return app;
  }

  add(connection: Connection): void {
    const app = this.appConnections(connection.appId);
    app.byId.set(connection.id, connection);
    const existing = app.peers.get(connection.peerId);
    if (!existing) {
      app.peers.set(connection.peerId, connection);
      // Issued before the welcome is sent, so a peer that learns of this one can already reach it.
      this.options.interest.peerArrived(connection.appId, connection.peerId).catch(() => undefined);
    }
    else if (existing instanceof Set) existing.add(connection);
    else app.peers.set(connection.peerId, new Set([existing, connection]));
  }

  remove(connection: Connection): void {
    const app = this.apps.get(connection.appId);
    if (!app) return;
    app.byId.delete(connection.id);
    const peerConnections = app.peers.get(connection.peerId);
    if (peerConnections === connection) {
      app.peers.delete(connection.peerId);
      this.options.interest.peerDeparted(connection.appId, connection.peerId);
    } else if (peerConnections instanceof Set) {
      peerConnections.delete(connection);
      if (peerConnections.size === 1) app.peers.set(connection.peerId, peerConnections.values().next().value as Connection);
    }
    for (const subscription of connection.subscriptions.values()) this.unindexSubscription(app, connection, subscription);
    if (app.byId.size === 0) this.apps.delete(connection.appId);
  }

  /** The string a new exact subscription to `channel` keeps (see sharedChannelName). */
  channelName(connection: Connection, channel: string): string {
    return sharedChannelName(channel, this.apps.get(connection.appId)?.channels.get(channel), connection);
  }

  /**
   * Indexes the subscription; the promise resolves once messages published anywhere reach it (the
   * caller acknowledges the subscribe only then).
   */
  subscribe(connection: Connection, subscription: Subscription): Promise<void> {
    const app = this.appConnections(connection.appId);
    app.subscriptionCount += 1;
    const heard = this.options.interest.watchApp(connection.appId);
    if (subscription.wildcard && subscription.glob) {
      connection.addSubscription(subscription);
      app.wildcards.add({ connection, subscription, glob: subscription.glob });
      return heard;
    }
    const subscribers = app.channels.get(subscription.channel);
    subscription.channel = sharedChannelName(subscription.channel, subscribers, connection);
    connection.addSubscription(subscription);
    if (!subscribers) app.channels.set(subscription.channel, connection);
    else if (subscribers instanceof Map) subscribers.set(connection, subscription);
    else {
      // The earlier subscriber stays first: delivery keeps subscription order.
      const both = new Map<Connection, Subscription>();
      const onlySubscription = subscribers.subscriptions.get(subscription.channel);
      if (onlySubscription) both.set(subscribers, onlySubscription);
      both.set(connection, subscription);
      app.channels.set(subscription.channel, both);
    }
    return heard;
  }

  unsubscribe(connection: Connection, subscription: Subscription): void {
    connection.removeSubscription(subscription.channel);
    const app = this.apps.get(connection.appId);
    if (app) this.unindexSubscription(app, connection, subscription);
  }

  private unindexSubscription(app: AppConnections, connection: Connection, subscription: Subscription): void {
    if (this.unindexed(app, connection, subscription) && --app.subscriptionCount === 0) this.options.interest.unwatchApp(connection.appId);
  }

  /** Removes the subscription from the app's index; false when it was not indexed. */
  private unindexed(app: AppConnections, connection: Connection, subscription: Subscription): boolean {
    if (subscription.wildcard) {
      for (const entry of app.wildcards) {
        if (entry.connection === connection && entry.subscription === subscription) return app.wildcards.delete(entry);
      }
      return false;
    }
    const subscribers = app.channels.get(subscription.channel);
    if (subscribers === connection) return app.channels.delete(subscription.channel);
    if (!(subscribers instanceof Map) || !subscribers.delete(connection)) return false;
    if (subscribers.size === 1) app.channels.set(subscription.channel, subscribers.keys().next().value as Connection);
    return true;
  }

  private metered(appId: string, reached: number, averageBytes: number): void {
    const snapshotApp = this.options.planCache.app(appId);
    if (snapshotApp) this.options.meter.delivered(appId, snapshotApp.period.startUnix, reached, averageBytes);
  }

  deliverChannelMessage(event: ChannelMessageEvent): number {
    const app = this.apps.get(event.appId);
    if (!app) return 0;
    const subscribers = app.channels.get(event.channel);
    let plain: OutboundFrame | null = null;
    let withMetadata: OutboundFrame | null = null;
    const metadataJson = event.fromMetadataJson ?? null;
    const frameFor = (subscription: Subscription): OutboundFrame => {
      if (metadataJson !== null && subscription.includeSenderMetadata) {
        withMetadata ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, metadataJson, event.position));
        return withMetadata;
      }
      plain ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, null, event.position));
      return plain;
    };
    // The publisher is found once so the loop compares objects, not connection-id strings.
    const excluded = event.excludeConnectionId === undefined ? undefined : app.byId.get(event.excludeConnectionId);
    let reached = 0;
    let bytes = 0;
    if (subscribers) {
      for (const [connection, subscription] of subscriberEntries(subscribers, event.channel)) {
        if (connection === excluded) continue;
        const frame = frameFor(subscription);
        if (subscription.replayedUpTo && replayedAlready(subscription.replayedUpTo, event.position)) continue;
        if (subscription.heldMessages) {
          // Sent (and counted) after the subscription's history replay.
          connection.holdForReplay(subscription, { position: event.position, payload: frame.payload, framed: frame.framed });
          continue;
        }
        if (connection.write(frame.payload, frame.framed)) {
          reached += 1;
          bytes += frame.payload.length;
        }
      }
    }
    if (app.wildcards.size > 0) {
      let seen: Set<Connection> | null = null;
      for (const entry of app.wildcards) {
        if (entry.connection === excluded || !entry.glob.matches(event.channel)) continue;
        seen ??= subscribersSet(subscribers);
        if (seen.has(entry.connection)) continue;
        seen.add(entry.connection);
        const frame = frameFor(entry.subscription);
        if (entry.connection.write(frame.payload, frame.framed)) {
          reached += 1;
          bytes += frame.payload.length;
        }
      }
    }
    if (reached > 0) {
      RelayCounters.bump(this.options.counters.framesOut, ServerFrameType.Message, reached);
      this.metered(event.appId, reached, Math.round(bytes / reached));
    }
    return reached;
  }

  deliverPresence(event: PresenceEvent): number {
    const subscribers = this.apps.get(event.appId)?.channels.get(event.channel);
    if (!subscribers) return 0;
    let frame: string | null = null;
    let reached = 0;
    for (const [connection, subscription] of subscriberEntries(subscribers, event.channel)) {
      if (!connection.canPresence || connection.peerId === event.excludePeerId) continue;
      frame ??= ServerFrame.presence(event.channel, event.joined, event.left);
      if (subscription.heldPresence) subscription.heldPresence.push(frame);
      else if (connection.write(frame)) reached += 1;
    }
    if (reached > 0) RelayCounters.bump(this.options.counters.framesOut, ServerFrameType.Presence, reached);
    return reached;
  }

  /** The peer's connections on this node (a copy: callers may close them while iterating). */
  private peerConnections(appId: string, peerId: string): Connection[] {
    const entry = this.apps.get(appId)?.peers.get(peerId);
    if (!entry) return [];
    return entry instanceof Set ? [...entry] : [entry];
  }

  deliverDirect(event: DirectEvent): number {
    const connections = this.peerConnections(event.appId, event.toPeerId);
    if (connections.length === 0) return 0;
    const frame = outboundFrame(ServerFrame.direct(event.fromPeerId, event.dataJson, event.fromMetadataJson ?? null));
    let reached = 0;
    for (const connection of connections) {
      if (connection.write(frame.payload, frame.framed)) reached += 1;
    }
    if (reached > 0) {
      RelayCounters.bump(this.options.counters.framesOut, ServerFrameType.Direct, reached);
      this.metered(event.appId, reached, frame.payload.length);
    }
    return reached;
  }

  disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): number {
    const connections = this.peerConnections(appId, peerId);
    let closed = 0;
    for (const connection of connections) {
      if (connection.isClosing) continue;
      connection.close({ code: closeCode, reason });
      closed += 1;
    }
    return closed;
  }
}
