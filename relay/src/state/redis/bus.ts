// Fan-out across nodes over Redis pub/sub. Channel messages and presence events are delivered locally
// at once and queued for the other nodes; the queue goes out as one PUBLISH per event-loop turn, so a
// burst costs one Redis command, not one per message. Direct sends, disconnects and REST publishes need
// an answer ("how many connections did it reach?"): they are published on their own, PUBLISH's reply
// says how many nodes listen, and the call waits for that many replies (or a timeout) on this node's
// reply channel. Live usage reports for the control plane's stats call travel the same way, each reply
// carrying its node's report. During an outage only local delivery happens; a direct send that finds no local peer then
// fails with an error (the server answers `backend_error`), since the peer may well be on another node.
import { type NodeUsageReport, nodeUsageReportSchema } from "../../protocol";
import { type ChannelMessageEvent, type DirectEvent, type GatheredUsageReports, type LocalDelivery, type MessageBus, OtherNodesUnreachableError, type PresenceEvent } from "../types";
import { UNAVAILABLE } from "./link";
import type { RedisLink } from "./link";
import type { RedisKeys } from "./keys";

type Envelope =
  | { o: string; k: "m"; e: ChannelMessageEvent }
  | { o: string; k: "c"; r: string; e: ChannelMessageEvent }
  | { o: string; k: "p"; e: PresenceEvent }
  | { o: string; k: "d"; r: string; e: DirectEvent }
  | { o: string; k: "x"; r: string; e: { appId: string; peerId: string; closeCode: number; reason: string } }
  | { o: string; k: "u"; r: string; e: { appId: string } };

/** What the other nodes answered to one request. */
interface Replies {
  reached: number;
  usageReports: NodeUsageReport[];
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
    default:
      return false;
  }
}

export interface RedisBusStats {
  /** Events not sent to other nodes because Redis was unavailable. */
  eventsNotForwarded: number;
  /** Direct sends/disconnects that stopped waiting for some node's reply. */
  replyTimeouts: number;
}

export class RedisMessageBus implements MessageBus {
  private local: LocalDelivery | null = null;
  private usageReporter: ((appId: string) => NodeUsageReport) | null = null;
  private queue: string[] = [];
  private flushScheduled = false;
  private requestSeq = 0;
  private readonly pending = new Map<string, PendingRequest>();
  private subscribed = false;
  private closed = false;
  readonly stats: RedisBusStats = { eventsNotForwarded: 0, replyTimeouts: 0 };
  /** Resolves once this node listens on the bus; `gate` may also wait for sibling nodes (tests). */
  readonly listening: Promise<void>;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly replyTimeoutMs: number,
    private readonly gate: () => Promise<void>,
    extraChannels: Record<string, (payload: string) => void>,
  ) {
    const subscriber = link.subscriber;
    const replyChannel = keys.replies(nodeId);
    subscriber.on("message", (channel: string, payload: string) => {
      if (channel === keys.bus) this.onBusMessage(payload);
      else if (channel === replyChannel) this.onReply(payload);
      else extraChannels[channel]?.(payload);
    });
    this.listening = subscriber.subscribe(keys.bus, replyChannel, ...Object.keys(extraChannels)).then(() => {
      this.subscribed = true;
    });
    // Retried by the subscriber's reconnect; the link reports the outage.
    this.listening.catch(() => undefined);
  }

  attach(delivery: LocalDelivery): void {
    this.local = delivery;
  }

  publishChannelMessage(event: ChannelMessageEvent): number {
    const reached = this.local?.deliverChannelMessage(event) ?? 0;
    this.enqueue({ o: this.nodeId, k: "m", e: event });
    return reached;
  }

  async publishChannelMessageCounted(event: ChannelMessageEvent): Promise<number> {
    const local = this.local?.deliverChannelMessage(event) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "c", r, e: event }));
    return remote === UNAVAILABLE ? local : local + remote.reached;
  }

  publishPresence(event: PresenceEvent): number {
    const reached = this.local?.deliverPresence(event) ?? 0;
    this.enqueue({ o: this.nodeId, k: "p", e: event });
    return reached;
  }

  async sendDirect(event: DirectEvent): Promise<number> {
    const local = this.local?.deliverDirect(event) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "d", r, e: event }));
    if (remote === UNAVAILABLE) {
      if (local === 0) throw new OtherNodesUnreachableError();
      return local;
    }
    return local + remote.reached;
  }

  async disconnectPeer(appId: string, peerId: string, closeCode: number, reason: string): Promise<number> {
    const local = this.local?.disconnectPeer(appId, peerId, closeCode, reason) ?? 0;
    const remote = await this.request((r) => ({ o: this.nodeId, k: "x", r, e: { appId, peerId, closeCode, reason } }));
    if (remote === UNAVAILABLE) {
      if (local === 0) throw new OtherNodesUnreachableError();
      return local;
    }
    return local + remote.reached;
  }

  reportUsageWith(reporter: (appId: string) => NodeUsageReport): void {
    this.usageReporter = reporter;
  }

  async gatherUsageReports(appId: string): Promise<GatheredUsageReports> {
    const remote = await this.request((r) => ({ o: this.nodeId, k: "u", r, e: { appId } }));
    return remote === UNAVAILABLE ? { reports: [], complete: false } : { reports: remote.usageReports, complete: remote.complete };
  }

  private enqueue(envelope: Envelope): void {
    if (this.closed) return;
    if (this.link.degraded) {
      this.stats.eventsNotForwarded += 1;
      return;
    }
    this.queue.push(JSON.stringify(envelope));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    await this.gate();
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const sent = await this.link.call((redis) => redis.publish(this.keys.bus, `[${batch.join(",")}]`));
    if (sent === UNAVAILABLE) this.stats.eventsNotForwarded += batch.length;
  }

  /** Publishes a request and collects the other nodes' replies; UNAVAILABLE when Redis cannot carry it. */
  private async request(build: (requestId: string) => Envelope): Promise<Replies | typeof UNAVAILABLE> {
    if (this.closed || this.link.degraded) return UNAVAILABLE;
    await this.gate();
    const requestId = `${this.nodeId}:${++this.requestSeq}`;
    const answered = new Promise<Replies>((resolve) => {
      const timer = setTimeout(() => {
        this.stats.replyTimeouts += 1;
        this.settle(requestId);
      }, this.replyTimeoutMs);
      timer.unref();
      this.pending.set(requestId, { reached: 0, usageReports: [], replies: 0, expected: null, resolve, timer });
    });
    const listeners = await this.link.call((redis) => redis.publish(this.keys.bus, `[${JSON.stringify(build(requestId))}]`));
    const request = this.pending.get(requestId);
    if (listeners === UNAVAILABLE) {
      if (request) clearTimeout(request.timer);
      this.pending.delete(requestId);
      return UNAVAILABLE;
    }
    if (request) {
      // Every node (this one included, while subscribed) has one subscriber on the bus.
      request.expected = Math.max(0, listeners - (this.subscribed ? 1 : 0));
      if (request.replies >= request.expected) this.settle(requestId);
    }
    return answered;
  }

  private settle(requestId: string): void {
    const request = this.pending.get(requestId);
    if (!request) return;
    clearTimeout(request.timer);
    this.pending.delete(requestId);
    request.resolve({ reached: request.reached, usageReports: request.usageReports, complete: request.expected !== null && request.replies >= request.expected });
  }

  private onReply(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (!isRecord(parsed) || typeof parsed.r !== "string" || typeof parsed.n !== "number") return;
    const request = this.pending.get(parsed.r);
    if (!request) return;
    request.replies += 1;
    request.reached += parsed.n;
    if (parsed.u !== undefined) {
      const report = nodeUsageReportSchema.safeParse(parsed.u);
      if (report.success) request.usageReports.push(report.data);
    }
    if (request.expected !== null && request.replies >= request.expected) this.settle(parsed.r);
  }

  private onBusMessage(payload: string): void {
    if (this.closed) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (!Array.isArray(parsed)) return;
    for (const envelope of parsed) {
      if (!isEnvelope(envelope) || envelope.o === this.nodeId) continue;
      this.deliver(envelope);
    }
  }

  private deliver(envelope: Envelope): void {
    const local = this.local;
    switch (envelope.k) {
      case "m":
        local?.deliverChannelMessage(envelope.e);
        return;
      case "c":
        this.reply(envelope.o, envelope.r, local?.deliverChannelMessage(envelope.e) ?? 0);
        return;
      case "p":
        local?.deliverPresence(envelope.e);
        return;
      case "d":
        this.reply(envelope.o, envelope.r, local?.deliverDirect(envelope.e) ?? 0);
        return;
      case "x":
        this.reply(envelope.o, envelope.r, local?.disconnectPeer(envelope.e.appId, envelope.e.peerId, envelope.e.closeCode, envelope.e.reason) ?? 0);
        return;
      case "u":
        this.reply(envelope.o, envelope.r, 0, this.usageReporter?.(envelope.e.appId));
        return;
    }
  }

  private reply(origin: string, requestId: string, reached: number, usageReport?: NodeUsageReport): void {
    const body = usageReport === undefined ? { r: requestId, n: reached } : { r: requestId, n: reached, u: usageReport };
    void this.link.call((redis) => redis.publish(this.keys.replies(origin), JSON.stringify(body)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local = null;
    this.usageReporter = null;
    for (const requestId of [...this.pending.keys()]) this.settle(requestId);
    if (this.subscribed) await this.link.subscriber.unsubscribe().catch(() => undefined);
    this.subscribed = false;
  }
}
