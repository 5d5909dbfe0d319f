// Fan-out across nodes over Redis pub/sub, only where there is interest (docs/ARCHITECTURE.md "Fan-out").
// Each app has a topic that only the nodes with a subscriber of the app listen to: channel messages and
// presence events are delivered locally at once and queued per topic; each topic's queue goes out as
// one PUBLISH per event-loop turn, so a burst costs one Redis command per app, not one per message.
// A node starts listening to an app's topic when its first subscriber of the app arrives, and the
// subscribe is acknowledged only once Redis confirmed the subscription, so no message published after
// the acknowledgement can miss it; it stops when the last one leaves.
//
// Direct sends, disconnects, usage-report and connection-list requests go to the inboxes of the nodes
// concerned only: the nodes holding the peer (found in the peer directory, ./directory.ts) or, for usage
// reports and the dashboard's connection lists, the live nodes. They need an answer ("how many connections did it reach?"): each PUBLISH's reply says whether
// the target listens, and the call waits for that many replies (or a timeout) on this node's inbox; an
// unrelated node, slow or stopped, is never asked, so it never slows a send. REST publishes are answered
// by the nodes listening to the app's topic. During an outage only local delivery happens; a direct send
// that finds no local peer then fails with an error (the server answers `backend_error`), since the peer
// may well be on another node. On Redis Cluster the topics are sharded (SPUBLISH/SSUBSCRIBE, ./link.ts).
import { type NodeConnections, nodeConnectionsSchema, type NodeUsageReport, nodeUsageReportSchema } from "../../protocol";
import {
  type ChannelMessageEvent,
  type ConnectionLister,
  type DirectEvent,
  type GatheredConnections,
  type GatheredUsageReports,
  type LocalDelivery,
  type MessageBus,
  OtherNodesUnreachableError,
  type PresenceEvent,
} from "../types";
import type { RedisPeerDirectory } from "./directory";
import { UNAVAILABLE } from "./link";
import type { RedisClient, RedisLink } from "./link";
import type { RedisKeys } from "./keys";
import { LIVE_NODES } from "./scripts";

type Envelope =
  | { o: string; k: "m"; e: ChannelMessageEvent }
  | { o: string; k: "c"; r: string; e: ChannelMessageEvent }
  | { o: string; k: "p"; e: PresenceEvent }
  | { o: string; k: "d"; r: string; e: DirectEvent }
  | { o: string; k: "x"; r: string; e: { appId: string; peerId: string; closeCode: number; reason: string } }
  | { o: string; k: "u"; r: string; e: { appId: string } }
  | { o: string; k: "l"; r: string; e: { appId: string; limit: number } };

/** An answer to a request, sent to the requesting node's inbox. */
interface Reply {
  k: "r";
  r: string;
  n: number;
  u?: NodeUsageReport;
  l?: NodeConnections;
}

/** What the other nodes answered to one request. */
interface Replies {
  reached: number;
  usageReports: NodeUsageReport[];
  connectionLists: NodeConnections[];
  /** Every node that listened answered before the timeout. */
  complete: boolean;
}

interface PendingRequest extends Omit<Replies, "complete"> {
  replies: number;
  /** Replies to wait for; null until PUBLISH has answered. */
  expected: number | null;
  resolve: (replies: Replies) => void;
  timer: NodeJS.Timeout;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isChannelMessage(event: Record<string, unknown>): boolean {
  return typeof event.channel === "string" && typeof event.dataJson === "string" && typeof event.fromPeerId === "string";
}

function isReply(value: Record<string, unknown>): value is Record<string, unknown> & Reply {
  return value.k === "r" && typeof value.r === "string" && typeof value.n === "number";
}

/** Envelopes come from other nodes of this deployment; checking their outline guards against foreign publishers on a shared Redis. */
function isEnvelope(value: unknown): value is Envelope {
  if (!isRecord(value) || typeof value.o !== "string" || !isRecord(value.e) || typeof value.e.appId !== "string") return false;
  switch (value.k) {
    case "m":
      return isChannelMessage(value.e);
    case "c":
      return typeof value.r === "string" && isChannelMessage(value.e);
    case "p":
      return typeof value.e.channel === "string" && Array.isArray(value.e.joined) && Array.isArray(value.e.left);
    case "d":
      return typeof value.r === "string" && typeof value.e.toPeerId === "string" && typeof value.e.dataJson === "string";
    case "x":
      return typeof value.r === "string" && typeof value.e.peerId === "string" && typeof value.e.closeCode === "number";
    case "u":
      return typeof value.r === "string";
    case "l":
      return typeof value.r === "string" && typeof value.e.limit === "number";
    default:
      return false;
  }
}

export interface RedisBusStats {
  /** Events not sent to other nodes because Redis was unavailable. */
  eventsNotForwarded: number;
  /** Direct sends/disconnects that stopped waiting for some node's reply. */
  replyTimeouts: number;
  /** Channel messages and presence events this node received from other nodes (what fan-out costs it). */
  eventsReceived: number;
}

export class RedisMessageBus implements MessageBus {
  private local: LocalDelivery | null = null;
  private usageReporter: ((appId: string) => NodeUsageReport) | null = null;
  private connectionLister: ConnectionLister | null = null;
  /** Topic → envelopes (JSON) waiting for this turn's PUBLISH. */
  private queue = new Map<string, string[]>();
  private flushScheduled = false;
  private requestSeq = 0;
  private readonly pending = new Map<string, PendingRequest>();
  /** Apps this node listens to, each with its subscription's confirmation. */
  private readonly watched = new Map<string, Promise<void>>();
  /** Topics whose subscription Redis confirmed (this node hears its own publishes there). */
  private readonly listening = new Set<string>();
  private readonly inbox: string;
  private closed = false;
  readonly stats: RedisBusStats = { eventsNotForwarded: 0, replyTimeouts: 0, eventsReceived: 0 };
  /** Resolves once this node listens to its inbox; `gate` may also wait for sibling nodes (tests). */
  readonly ready: Promise<void>;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly directory: RedisPeerDirectory,
    private readonly nodeId: string,
    private readonly replyTimeoutMs: number,
    private readonly gate: () => Promise<void>,
    extraChannels: Record<string, (payload: string) => void>,
  ) {
    const subscriber = link.subscriber;
    this.inbox = keys.inbox(nodeId);
    const onMessage = (topic: string, payload: string) => {
      if (topic === this.inbox) this.onInboxMessage(payload);
      else if (Object.hasOwn(extraChannels, topic)) extraChannels[topic]?.(payload);
      else this.onAppMessage(payload);
    };
    subscriber.on("message", onMessage);
    if (link.cluster) subscriber.on("smessage", onMessage);
    const extras = Object.keys(extraChannels);
    // Notices from the control plane are plain PUBLISHes (a cluster forwards them to every shard).
    const listeningToExtras = extras.length > 0 ? subscriber.subscribe(...extras) : Promise.resolve();
    this.ready = Promise.all([this.listenTo(this.inbox, () => true), listeningToExtras]).then(() => undefined);
    // Retried by the subscriber's reconnect; the link reports the outage.
    this.ready.catch(() => undefined);
  }

  /** Subscribes; the topic counts as heard once Redis confirmed it, unless it was given up meanwhile. */
  private async listenTo(topic: string, stillWanted: () => boolean): Promise<void> {
    await this.link.listen(topic);
    if (!this.closed && stillWanted()) this.listening.add(topic);
  }

  attach(delivery: LocalDelivery): void {
    this.local = delivery;
  }

  watchApp(appId: string): Promise<void> {
    const existing = this.watched.get(appId);
    if (existing) return existing;
    const topic = this.keys.appTopic(appId);
    const subscribed = this.listenTo(topic, () => this.watched.get(appId) === bounded).catch(() => undefined);
    // During an outage the Redis client subscribes once it reconnects; the client's subscribe is not kept waiting.
    const bounded: Promise<void> = this.link.degraded
      ? Promise.resolve()
      : Promise.race([subscribed, new Promise<void>((resolve) => setTimeout(resolve, this.replyTimeoutMs).unref())]);
    this.watched.set(appId, bounded);
    return bounded;
  }

  unwatchApp(appId: string): void {
    if (!this.watched.delete(appId)) return;
    const topic = this.keys.appTopic(appId);
    this.listening.delete(topic);
    void this.link.unlisten(topic).catch(() => undefined);
  }

  peerArrived(appId: string, peerId: string): Promise<void> {
    return this.directory.arrived(appId, peerId);
  }

  peerDeparted(appId: string, peerId: string): void {
    this.directory.departed(appId, peerId).catch(() => undefined);
  }

  publishChannelMessage(event: ChannelMessageEvent): number {
    const reached = this.local?.deliverChannelMessage(event) ?? 0;
    this.enqueue(event.appId, { o: this.nodeId, k: "m", e: event });
    return reached;
  }

  async publishChannelMessageCounted(event: ChannelMessageEvent): Promise<number> {
    const local = this.local?.deliverChannelMessage(event) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "c", r, e: event }), async () => [this.keys.appTopic(event.appId)]);
    return remote === UNAVAILABLE ? local : local + remote.reached;
  }

  publishPresence(event: PresenceEvent): number {
    const reached = this.local?.deliverPresence(event) ?? 0;
    this.enqueue(event.appId, { o: this.nodeId, k: "p", e: event });
    return reached;
  }

  /** The inboxes of the other nodes holding the peer. */
  private peerInboxes(appId: string, peerId: string): (redis: RedisClient) => Promise<string[]> {
    return async (redis) => (await this.directory.nodesOf(redis, appId, peerId)).map((nodeId) => this.keys.inbox(nodeId));
  }

  async sendDirect(event: DirectEvent): Promise<number> {
    const local = this.local?.deliverDirect(event) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "d", r, e: event }), this.peerInboxes(event.appId, event.toPeerId));
    if (remote === UNAVAILABLE) {
      if (local === 0) throw new OtherNodesUnreachableError();
      return local;
    }
    return local + remote.reached;
  }

  async disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): Promise<number> {
    const local = this.local?.disconnectPeer(appId, peerId, closeCode, reason) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "x", r, e: { appId, peerId, closeCode, reason } }), this.peerInboxes(appId, peerId));
    if (remote === UNAVAILABLE) {
      if (local === 0) throw new OtherNodesUnreachableError();
      return local;
    }
    return local + remote.reached;
  }

  reportUsageWith(reporter: (appId: string) => NodeUsageReport): void {
    this.usageReporter = reporter;
  }

  /** The inboxes of every other live node. */
  private readonly liveInboxes = async (redis: RedisClient): Promise<string[]> => {
    const live = await this.link.script(redis, LIVE_NODES, [this.keys.nodes], []);
    if (!Array.isArray(live)) throw new Error("unexpected live nodes reply");
    return live.filter((nodeId): nodeId is string => typeof nodeId === "string" && nodeId !== this.nodeId).map((nodeId) => this.keys.inbox(nodeId));
  };

  async gatherUsageReports(appId: string): Promise<GatheredUsageReports> {
    const remote = await this.request((r) => ({ o: this.nodeId, k: "u", r, e: { appId } }), this.liveInboxes);
    return remote === UNAVAILABLE ? { reports: [], complete: false } : { reports: remote.usageReports, complete: remote.complete };
  }

  listConnectionsWith(lister: ConnectionLister): void {
    this.connectionLister = lister;
  }

  async gatherConnections(appId: string, limit: number): Promise<GatheredConnections> {
    const remote = await this.request((r) => ({ o: this.nodeId, k: "l", r, e: { appId, limit } }), this.liveInboxes);
    return remote === UNAVAILABLE ? { nodes: [], complete: false } : { nodes: remote.connectionLists, complete: remote.complete };
  }

  private enqueue(appId: string, envelope: Envelope): void {
    if (this.closed) return;
    if (this.link.degraded) {
      this.stats.eventsNotForwarded += 1;
      return;
    }
    const topic = this.keys.appTopic(appId);
    const queued = this.queue.get(topic);
    if (queued) queued.push(JSON.stringify(envelope));
    else this.queue.set(topic, [JSON.stringify(envelope)]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    await this.gate();
    this.flushScheduled = false;
    const batches = this.queue;
    this.queue = new Map();
    await Promise.all(
      [...batches].map(async ([topic, batch]) => {
        const sent = await this.link.call((redis) => this.link.publish(redis, topic, `[${batch.join(",")}]`));
        if (sent === UNAVAILABLE) this.stats.eventsNotForwarded += batch.length;
      }),
    );
  }

  /** Publishes a request on the target topics and collects the answers; UNAVAILABLE when Redis cannot carry it. */
  private async request(build: (requestId: string) => Envelope, targets: (redis: RedisClient) => Promise<string[]>): Promise<Replies | typeof UNAVAILABLE> {
    if (this.closed || this.link.degraded) return UNAVAILABLE;
    await this.gate();
    const requestId = `${this.nodeId}:${++this.requestSeq}`;
    const answered = new Promise<Replies>((resolve) => {
      const timer = setTimeout(() => {
        this.stats.replyTimeouts += 1;
        this.settle(requestId);
      }, this.replyTimeoutMs);
      timer.unref();
      this.pending.set(requestId, { reached: 0, usageReports: [], connectionLists: [], replies: 0, expected: null, resolve, timer });
    });
    const listeners = await this.link.call(async (redis) => {
      const topics = await targets(redis);
      const payload = `[${JSON.stringify(build(requestId))}]`;
      const reached = await Promise.all(topics.map((topic) => this.link.publish(redis, topic, payload)));
      // This node hears its own publish on a topic it listens to, and does not answer itself.
      const ownEcho = topics.filter((topic) => this.listening.has(topic)).length;
      return reached.reduce((sum, count) => sum + count, 0) - ownEcho;
    });
    const request = this.pending.get(requestId);
    if (listeners === UNAVAILABLE) {
      if (request) clearTimeout(request.timer);
      this.pending.delete(requestId);
      return UNAVAILABLE;
    }
    if (request) {
      request.expected = Math.max(0, listeners);
      if (request.replies >= request.expected) this.settle(requestId);
    }
    return answered;
  }

  private settle(requestId: string): void {
    const request = this.pending.get(requestId);
    if (!request) return;
    clearTimeout(request.timer);
    this.pending.delete(requestId);
    request.resolve({ reached: request.reached, usageReports: request.usageReports, connectionLists: request.connectionLists, complete: request.expected !== null && request.replies >= request.expected });
  }

  private onReply(reply: Reply): void {
    const request = this.pending.get(reply.r);
    if (!request) return;
    request.replies += 1;
    request.reached += reply.n;
    if (reply.u !== undefined) {
      const report = nodeUsageReportSchema.safeParse(reply.u);
      if (report.success) request.usageReports.push(report.data);
    }
    if (reply.l !== undefined) {
      const list = nodeConnectionsSchema.safeParse(reply.l);
      if (list.success) request.connectionLists.push(list.data);
    }
    if (request.expected !== null && request.replies >= request.expected) this.settle(reply.r);
  }

  private parseBatch(payload: string): unknown[] {
    if (this.closed) return [];
    try {
      const parsed: unknown = JSON.parse(payload);
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }

  private onAppMessage(payload: string): void {
    for (const envelope of this.parseBatch(payload)) {
      if (!isEnvelope(envelope) || envelope.o === this.nodeId) continue;
      this.stats.eventsReceived += 1;
      const local = this.local;
      switch (envelope.k) {
        case "m":
          local?.deliverChannelMessage(envelope.e);
          break;
        case "c":
          this.reply(envelope.o, { k: "r", r: envelope.r, n: local?.deliverChannelMessage(envelope.e) ?? 0 });
          break;
        case "p":
          local?.deliverPresence(envelope.e);
          break;
        default:
          // Requests for one node never travel on an app topic.
          break;
      }
    }
  }

  private onInboxMessage(payload: string): void {
    for (const message of this.parseBatch(payload)) {
      if (isRecord(message) && isReply(message)) {
        this.onReply(message);
        continue;
      }
      if (!isEnvelope(message) || message.o === this.nodeId) continue;
      const local = this.local;
      switch (message.k) {
        case "d":
          this.reply(message.o, { k: "r", r: message.r, n: local?.deliverDirect(message.e) ?? 0 });
          break;
        case "x":
          this.reply(message.o, { k: "r", r: message.r, n: local?.disconnectPeer(message.e.appId, message.e.peerId, message.e.closeCode, message.e.reason) ?? 0 });
          break;
        case "u": {
          const usage = this.usageReporter?.(message.e.appId);
          this.reply(message.o, usage === undefined ? { k: "r", r: message.r, n: 0 } : { k: "r", r: message.r, n: 0, u: usage });
          break;
        }
        case "l": {
          const list = this.connectionLister?.(message.e.appId, message.e.limit);
          this.reply(message.o, list === undefined ? { k: "r", r: message.r, n: 0 } : { k: "r", r: message.r, n: 0, l: list });
          break;
        }
        default:
          break;
      }
    }
  }

  private reply(origin: string, reply: Reply): void {
    void this.link.call((redis) => this.link.publish(redis, this.keys.inbox(origin), `[${JSON.stringify(reply)}]`));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local = null;
    this.usageReporter = null;
    this.connectionLister = null;
    for (const requestId of [...this.pending.keys()]) this.settle(requestId);
    const topics = [...this.listening];
    this.listening.clear();
    this.watched.clear();
    await Promise.all(topics.map((topic) => this.link.unlisten(topic).catch(() => undefined)));
  }
}
