// In-memory state for a single relay node (or several nodes in one process sharing a hub, which is
// how the contract suite checks cross-node semantics that a Redis implementation must also meet).
import type { NodeUsageReport } from "../../protocol";
import { NO_CHANNEL_LIMITS } from "../types";
import type {
  ChannelLimits,
  ChannelMessageEvent,
  ChannelRefusal,
  ConnectionLeaseStore,
  ConnectionLister,
  DirectEvent,
  GatheredConnections,
  GatheredUsageReports,
  JoinResult,
  LeaseResult,
  LocalDelivery,
  MessageBus,
  MessageCounterStore,
  PresenceEvent,
  PresenceMember,
  PresenceStore,
  RelayState,
  RelayStateCluster,
  RosterPage,
} from "../types";
import { withConnectionId, withoutConnectionId } from "../connection-ids";
import type { ConnectionIds } from "../connection-ids";
import { SortedPeers } from "../sorted-peers";
import { MemoryHistoryStore } from "./history";

interface PeriodCounter {
  periodStartUnix: number;
  /** The control plane's count (largest seen); null before the first snapshot or acknowledgement. */
  baseline: number | null;
  /** Increments not yet acknowledged by the control plane, so not yet in the baseline. */
  unacknowledged: number;
  /** Of those, the ones sent in batches whose acknowledgement is outstanding. */
  inFlight: number;
}

interface PresenceEntry {
  /** Set in the literal that creates the entry: a property added later costs a backing store of its own. */
  metadataJson: string | undefined;
  connectionIds: ConnectionIds;
}

/** The state shared by every node of one in-process cluster. */
class MemoryHub {
  readonly leasesByApp = new Map<string, Set<string>>();
  readonly counters = new Map<string, PeriodCounter>();
  /** appId → channel → its peers in peerId order (rosters are read a page at a time). */
  readonly presence = new Map<string, Map<string, SortedPeers<PresenceEntry>>>();
  /** Every attached node's bus. */
  readonly buses = new Set<MemoryMessageBus>();
  readonly usageReporters = new Map<MemoryMessageBus, (appId: string) => NodeUsageReport>();
  readonly connectionListers = new Map<MemoryMessageBus, ConnectionLister>();
  readonly history = new MemoryHistoryStore();
}

class MemoryLeaseStore implements ConnectionLeaseStore {
  constructor(private readonly hub: MemoryHub) {}

  acquire(appId: string, connectionId: string, limit: number | null): LeaseResult {
    let leases = this.hub.leasesByApp.get(appId);
    if (!leases) {
      leases = new Set();
      this.hub.leasesByApp.set(appId, leases);
    }
    if (leases.has(connectionId)) return { acquired: true, count: leases.size };
    if (limit !== null && leases.size >= limit) return { acquired: false, count: leases.size };
    leases.add(connectionId);
    return { acquired: true, count: leases.size };
  }

  async release(appId: string, connectionId: string): Promise<void> {
    const leases = this.hub.leasesByApp.get(appId);
    if (!leases) return;
    leases.delete(connectionId);
    if (leases.size === 0) this.hub.leasesByApp.delete(appId);
  }

  async count(appId: string): Promise<number> {
    return this.hub.leasesByApp.get(appId)?.size ?? 0;
  }
}

class MemoryMessageCounterStore implements MessageCounterStore {
  constructor(private readonly hub: MemoryHub) {}

  /** The period's counter, starting a fresh one when `periodStartUnix` is newer; null for a stale period. */
  private counterFor(appId: string, periodStartUnix: number): PeriodCounter | null {
    const existing = this.hub.counters.get(appId);
    if (existing && existing.periodStartUnix === periodStartUnix) return existing;
    if (existing && existing.periodStartUnix > periodStartUnix) return null;
    const fresh: PeriodCounter = { periodStartUnix, baseline: null, unacknowledged: 0, inFlight: 0 };
    this.hub.counters.set(appId, fresh);
    return fresh;
  }

  private current(appId: string, periodStartUnix: number): PeriodCounter | null {
    const counter = this.hub.counters.get(appId);
    return counter && counter.periodStartUnix === periodStartUnix ? counter : null;
  }

  setBaseline(appId: string, periodStartUnix: number, messagesUsed: number): void {
    const counter = this.counterFor(appId, periodStartUnix);
    if (!counter) return;
    if (counter.baseline === null) counter.baseline = messagesUsed;
    else if (counter.inFlight === 0) counter.baseline = Math.max(counter.baseline, messagesUsed);
  }

  increment(appId: string, periodStartUnix: number, count: number): number {
    const counter = this.counterFor(appId, periodStartUnix);
    if (!counter) return this.total(appId, periodStartUnix);
    counter.unacknowledged += count;
    return (counter.baseline ?? 0) + counter.unacknowledged;
  }

  total(appId: string, periodStartUnix: number): number {
    const counter = this.current(appId, periodStartUnix);
    return counter ? (counter.baseline ?? 0) + counter.unacknowledged : 0;
  }

  sent(appId: string, periodStartUnix: number, count: number): void {
    const counter = this.current(appId, periodStartUnix);
    if (counter) counter.inFlight += count;
  }

  acknowledge(appId: string, periodStartUnix: number, count: number, periodTotal: number): void {
    const counter = this.current(appId, periodStartUnix);
    if (!counter) return;
    counter.unacknowledged = Math.max(0, counter.unacknowledged - count);
    counter.inFlight = Math.max(0, counter.inFlight - count);
    counter.baseline = Math.max(counter.baseline ?? 0, periodTotal);
  }
}

class MemoryPresenceStore implements PresenceStore {
  constructor(private readonly hub: MemoryHub) {}

  private channelPeers(appId: string, channel: string, create: boolean): SortedPeers<PresenceEntry> | undefined {
    let channels = this.hub.presence.get(appId);
    if (!channels) {
      if (!create) return undefined;
      channels = new Map();
      this.hub.presence.set(appId, channels);
    }
    let peers = channels.get(channel);
    if (!peers && create) {
      peers = new SortedPeers();
      channels.set(channel, peers);
    }
    return peers;
  }

  /** The limit a new peer of the channel would pass (checked and joined in one synchronous step). */
  private refusal(appId: string, peers: SortedPeers<PresenceEntry> | undefined, limits: ChannelLimits): ChannelRefusal | undefined {
    const present = peers?.size ?? 0;
    if (present === 0 && limits.maxActiveChannels !== null) {
      const active = this.hub.presence.get(appId)?.size ?? 0;
      if (active >= limits.maxActiveChannels) return { limit: "maxActiveChannels", max: limits.maxActiveChannels, count: active };
    }
    if (limits.maxPeersPerChannel !== null && present >= limits.maxPeersPerChannel) return { limit: "maxPeersPerChannel", max: limits.maxPeersPerChannel, count: present };
    return undefined;
  }

  async join(appId: string, channel: string, member: PresenceMember, connectionId: string, limits: ChannelLimits = NO_CHANNEL_LIMITS): Promise<JoinResult> {
    const existing = this.channelPeers(appId, channel, false);
    const entry = existing?.get(member.peerId);
    if (entry) {
      entry.connectionIds = withConnectionId(entry.connectionIds, connectionId);
      return { firstForPeer: false };
    }
    const refused = this.refusal(appId, existing, limits);
    if (refused) return { firstForPeer: false, refused };
    const peers = existing ?? this.channelPeers(appId, channel, true);
    if (!peers) return { firstForPeer: false };
    const created: PresenceEntry = { metadataJson: member.metadataJson, connectionIds: connectionId };
    peers.set(member.peerId, created);
    if (existing) return { firstForPeer: true };
    return { firstForPeer: true, activeChannels: this.hub.presence.get(appId)?.size ?? 1 };
  }

  async activeChannelCount(appId: string): Promise<number> {
    return this.hub.presence.get(appId)?.size ?? 0;
  }

  async leave(appId: string, channel: string, peerId: string, connectionId: string): Promise<{ lastForPeer: boolean }> {
    const peers = this.channelPeers(appId, channel, false);
    const entry = peers?.get(peerId);
    if (!peers || !entry) return { lastForPeer: false };
    const remaining = withoutConnectionId(entry.connectionIds, connectionId);
    if (remaining === undefined) return { lastForPeer: false };
    if (remaining !== null) {
      entry.connectionIds = remaining;
      return { lastForPeer: false };
    }
    peers.delete(peerId);
    if (peers.size === 0) {
      const channels = this.hub.presence.get(appId);
      channels?.delete(channel);
      if (channels && channels.size === 0) this.hub.presence.delete(appId);
    }
    return { lastForPeer: true };
  }

  async rosterPage(appId: string, channel: string, afterPeerId: string | null, limit: number): Promise<RosterPage> {
    const peers = this.channelPeers(appId, channel, false);
    if (!peers) return { members: [], nextAfter: null };
    const page = peers.page(afterPeerId, limit);
    const members: PresenceMember[] = page.entries.map(([peerId, entry]) => (entry.metadataJson === undefined ? { peerId } : { peerId, metadataJson: entry.metadataJson }));
    return { members, nextAfter: page.nextAfter };
  }
}

class MemoryMessageBus implements MessageBus {
  private local: LocalDelivery | null = null;
  /** Apps this node watches, and its peers as appId\0peerId: what other nodes deliver to it. */
  private readonly watched = new Set<string>();
  private readonly peers = new Set<string>();

  constructor(private readonly hub: MemoryHub) {}

  attach(delivery: LocalDelivery): void {
    this.local = delivery;
    this.hub.buses.add(this);
  }

  detach(): void {
    this.hub.buses.delete(this);
    this.local = null;
    this.hub.usageReporters.delete(this);
    this.hub.connectionListers.delete(this);
  }

  watchApp(appId: string): Promise<void> {
    this.watched.add(appId);
    return Promise.resolve();
  }

  unwatchApp(appId: string): void {
    this.watched.delete(appId);
  }

  peerArrived(appId: string, peerId: string): Promise<void> {
    this.peers.add(`${appId}\u0000${peerId}`);
    return Promise.resolve();
  }

  peerDeparted(appId: string, peerId: string): void {
    this.peers.delete(`${appId}\u0000${peerId}`);
  }

  /** Delivers on this node and on every node watching the app; returns [this node's reach, all nodes' reach]. */
  private fanOut(appId: string, deliver: (delivery: LocalDelivery) => number): [number, number] {
    const own = this.local ? deliver(this.local) : 0;
    let all = own;
    for (const bus of this.hub.buses) {
      if (bus !== this && bus.local && bus.watched.has(appId)) all += deliver(bus.local);
    }
    return [own, all];
  }

  /** Delivers on this node and on the nodes where the peer arrived; returns what all of them reached. */
  private reachPeer(appId: string, peerId: string, deliver: (delivery: LocalDelivery) => number): number {
    let reached = this.local ? deliver(this.local) : 0;
    for (const bus of this.hub.buses) {
      if (bus !== this && bus.local && bus.peers.has(`${appId}\u0000${peerId}`)) reached += deliver(bus.local);
    }
    return reached;
  }

  publishChannelMessage(event: ChannelMessageEvent): number {
    return this.fanOut(event.appId, (delivery) => delivery.deliverChannelMessage(event))[0];
  }

  async publishChannelMessageCounted(event: ChannelMessageEvent): Promise<number> {
    return this.fanOut(event.appId, (delivery) => delivery.deliverChannelMessage(event))[1];
  }

  publishPresence(event: PresenceEvent): number {
    return this.fanOut(event.appId, (delivery) => delivery.deliverPresence(event))[0];
  }

  async sendDirect(event: DirectEvent): Promise<number> {
    return this.reachPeer(event.appId, event.toPeerId, (delivery) => delivery.deliverDirect(event));
  }

  async disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): Promise<number> {
    return this.reachPeer(appId, peerId, (delivery) => delivery.disconnectPeer(appId, peerId, closeCode, reason));
  }

  reportUsageWith(reporter: (appId: string) => NodeUsageReport): void {
    this.hub.usageReporters.set(this, reporter);
  }

  async gatherUsageReports(appId: string): Promise<GatheredUsageReports> {
    const reports = [...this.hub.usageReporters].filter(([bus]) => bus !== this).map(([, reporter]) => reporter(appId));
    return { reports, complete: true };
  }

  listConnectionsWith(lister: ConnectionLister): void {
    this.hub.connectionListers.set(this, lister);
  }

  async gatherConnections(appId: string, limit: number): Promise<GatheredConnections> {
    const nodes = [...this.hub.connectionListers].filter(([bus]) => bus !== this).map(([, lister]) => lister(appId, limit));
    return { nodes, complete: true };
  }
}

class MemoryRelayState implements RelayState {
  readonly leases: MemoryLeaseStore;
  readonly counters: MemoryMessageCounterStore;
  readonly presence: MemoryPresenceStore;
  readonly history: MemoryHistoryStore;
  readonly bus: MemoryMessageBus;

  constructor(hub: MemoryHub) {
    this.history = hub.history;
    this.leases = new MemoryLeaseStore(hub);
    this.counters = new MemoryMessageCounterStore(hub);
    this.presence = new MemoryPresenceStore(hub);
    this.bus = new MemoryMessageBus(hub);
  }

  async close(): Promise<void> {
    this.bus.detach();
  }
}

export function createMemoryStateCluster(): RelayStateCluster {
  const hub = new MemoryHub();
  return {
    node: () => new MemoryRelayState(hub),
    close: async () => {
      hub.buses.clear();
    },
  };
}

/** State for a single-node relay. */
export function createMemoryState(): RelayState {
  return new MemoryRelayState(new MemoryHub());
}
