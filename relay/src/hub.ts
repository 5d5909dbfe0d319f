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
import type { ChannelMessageEvent, DirectEvent, LocalDelivery, PresenceEvent } from "./state/types";

interface AppConnections {
  /** channel → subscribed connections (exact subscriptions) with their subscription. */
  channels: Map<string, Map<Connection, Subscription>>;
  wildcards: Set<{ connection: Connection; subscription: Subscription; glob: CompiledGlob }>;
  /** peerId → its connection, or a set once the peer has several (most peers have one: no set each). */
  peers: Map<string, Connection | Set<Connection>>;
  /** Every connection of the app on this node, by connection id. */
  byId: Map<string, Connection>;
}

interface OutboundFrame {
  payload: Buffer;
  framed: Buffer;
}

function outboundFrame(payload: Buffer): OutboundFrame {
  return { payload, framed: textFrame(payload) };
}

export interface LocalHubOptions {
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
      app = { channels: new Map(), wildcards: new Set(), peers: new Map(), byId: new Map() };
      this.apps.set(appId, app);
    }
    return app;
  }

  add(connection: Connection): void {
    const app = this.appConnections(connection.appId);
    app.byId.set(connection.id, connection);
    const existing = app.peers.get(connection.peerId);
    if (!existing) app.peers.set(connection.peerId, connection);
    else if (existing instanceof Set) existing.add(connection);
    else app.peers.set(connection.peerId, new Set([existing, connection]));
  }

  remove(connection: Connection): void {
    const app = this.apps.get(connection.appId);
    if (!app) return;
    app.byId.delete(connection.id);
    const peerConnections = app.peers.get(connection.peerId);
    if (peerConnections === connection) app.peers.delete(connection.peerId);
    else if (peerConnections instanceof Set) {
      peerConnections.delete(connection);
      if (peerConnections.size === 1) app.peers.set(connection.peerId, peerConnections.values().next().value as Connection);
    }
    for (const subscription of connection.subscriptions.values()) this.unindexSubscription(app, connection, subscription);
    if (app.byId.size === 0) this.apps.delete(connection.appId);
  }

  subscribe(connection: Connection, subscription: Subscription): void {
    connection.addSubscription(subscription);
    const app = this.appConnections(connection.appId);
    if (subscription.wildcard && subscription.glob) {
      app.wildcards.add({ connection, subscription, glob: subscription.glob });
      return;
    }
    let subscribers = app.channels.get(subscription.channel);
    if (!subscribers) {
      subscribers = new Map();
      app.channels.set(subscription.channel, subscribers);
    }
    subscribers.set(connection, subscription);
  }

  unsubscribe(connection: Connection, subscription: Subscription): void {
    connection.removeSubscription(subscription.channel);
    const app = this.apps.get(connection.appId);
    if (app) this.unindexSubscription(app, connection, subscription);
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
        withMetadata ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, metadataJson));
        return withMetadata;
      }
      plain ??= outboundFrame(ServerFrame.message(event.channel, event.fromPeerId, event.dataJson, null));
      return plain;
    };
    // The publisher is found once so the loop compares objects, not connection-id strings.
    const excluded = event.excludeConnectionId === undefined ? undefined : app.byId.get(event.excludeConnectionId);
    let reached = 0;
    let bytes = 0;
    if (subscribers) {
      for (const [connection, subscription] of subscribers) {
        if (connection === excluded) continue;
        const frame = frameFor(subscription);
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
        seen ??= new Set(subscribers ? subscribers.keys() : []);
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
    for (const [connection, subscription] of subscribers) {
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
