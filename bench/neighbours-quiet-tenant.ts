// The quiet tenant of bench/relay-neighbours.ts: an app of its own on the shared relay, connected
// from 127.0.0.1, that every TICK_MS sends a `ping` (round trip to its `pong`) and publishes one
// message to a channel another connection of it subscribes to (publish → receive). Samples belong to
// the phase they were sent in; an answer that never comes counts as lost, with its age when the
// phase gave up on it as its latency, so a stalled relay cannot look fast by answering nothing.
import { WebSocket } from "ws";
import type { SnapshotApp } from "../relay/src/protocol";
import { firstSecretKey, mintToken } from "../relay/test/helpers";
import type { Tally } from "./neighbours-plan";

const TICK_MS = 20;
const CHANNEL = "quiet/room";
/** How long a phase's end waits for answers still on their way. */
const LATE_ANSWER_GRACE_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface PhaseResult {
  pingMs: number[];
  publishMs: number[];
  lostPings: number;
  lostPublishes: number;
  /** Error frames and closes the quiet tenant got. */
  trouble: Tally;
}

function welcomed(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no welcome within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    ws.once("message", (data: Buffer) => {
      clearTimeout(timer);
      if (data.toString().startsWith('{"type":"welcome"')) resolve(ws);
      else reject(new Error(`first frame ${data.toString().slice(0, 80)}`));
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`closed ${code} before the welcome`));
    });
  });
}

interface Pending {
  sentAt: number;
  phase: PhaseResult;
}

/**
 * One of the quiet tenant's two sending connections. They take turns, so each sends a ping every
 * 2 × TICK_MS: half its control-frame budget, so a refusal means the relay's doing, not the tenant's.
 */
class Sender {
  /** Pings awaiting their pong, by sequence number, oldest first: a connection's pongs come back in order. */
  readonly pendingPings = new Map<number, Pending>();
  /** Pongs still owed for pings a phase gave up on; they are not matched to later pings. */
  pongsToSkip = 0;

  constructor(
    readonly ws: WebSocket,
    onTrouble: (what: string) => void,
  ) {
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"type":"pong"')) return this.onPong();
      if (!text.startsWith('{"type":"error"')) return;
      const error = JSON.parse(text) as { code?: string; requestId?: string };
      onTrouble(`error ${error.code ?? "?"}`);
      // A refused ping gets no pong: it must not take the next pong's place.
      const refused = /^q(\d+)$/.exec(error.requestId ?? "")?.[1];
      if (refused) this.pendingPings.delete(Number(refused));
    });
  }

  private onPong(): void {
    if (this.pongsToSkip > 0) {
      this.pongsToSkip -= 1;
      return;
    }
    const oldest = this.pendingPings.entries().next();
    if (oldest.done) return;
    const [seq, ping] = oldest.value;
    this.pendingPings.delete(seq);
    ping.phase.pingMs.push(performance.now() - ping.sentAt);
  }
}

export class QuietTenant {
  private readonly pendingPublishes = new Map<number, Pending>();
  private seq = 0;
  private current: PhaseResult | null = null;
  private ticker: NodeJS.Timeout | undefined;
  private readonly senders: Sender[];

  private constructor(
    private readonly wsUrl: string,
    private readonly app: SnapshotApp,
    senderSockets: WebSocket[],
    private readonly subscriber: WebSocket,
  ) {
    this.senders = senderSockets.map((ws) => new Sender(ws, (what) => this.noteTrouble(what)));
    subscriber.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; code?: string; data?: { seq?: number } };
      if (frame.type === "message" && typeof frame.data?.seq === "number") this.onDelivery(frame.data.seq);
      else if (frame.type === "error") this.noteTrouble(`error ${frame.code ?? "?"}`);
    });
    for (const ws of [...senderSockets, subscriber]) ws.on("close", (code: number, reason: Buffer) => this.noteTrouble(`closed ${code} ${reason.toString()}`.trim()));
  }

  private static async token(app: SnapshotApp, sub: string, permissions: string[]): Promise<string> {
    return mintToken(firstSecretKey(app), { sub, claims: { permissions } });
  }

  static async connect(wsUrl: string, app: SnapshotApp): Promise<QuietTenant> {
    const senders = [
      await welcomed(`${wsUrl}/v1?token=${await QuietTenant.token(app, "quiet-publisher-1", ["publish"])}`),
      await welcomed(`${wsUrl}/v1?token=${await QuietTenant.token(app, "quiet-publisher-2", ["publish"])}`),
    ];
    const subscriber = await welcomed(`${wsUrl}/v1?token=${await QuietTenant.token(app, "quiet-subscriber", ["subscribe"])}`);
    await new Promise<void>((resolve, reject) => {
      subscriber.once("message", (data: Buffer) => (data.toString().startsWith('{"type":"ack"') ? resolve() : reject(new Error(`subscribe answered ${data.toString()}`))));
      subscriber.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
    });
    return new QuietTenant(wsUrl, app, senders, subscriber);
  }

  private noteTrouble(what: string): void {
    const phase = this.current;
    if (phase) phase.trouble[what] = (phase.trouble[what] ?? 0) + 1;
  }

  private onDelivery(seq: number): void {
    const publish = this.pendingPublishes.get(seq);
    if (!publish) return;
    this.pendingPublishes.delete(seq);
    publish.phase.publishMs.push(performance.now() - publish.sentAt);
  }

  private tick(phase: PhaseResult): void {
    const seq = ++this.seq;
    const sender = this.senders[seq % this.senders.length];
    if (sender?.ws.readyState !== WebSocket.OPEN) return;
    const sentAt = performance.now();
    sender.pendingPings.set(seq, { sentAt, phase });
    sender.ws.send(`{"type":"ping","requestId":"q${seq}"}`);
    this.pendingPublishes.set(seq, { sentAt, phase });
    sender.ws.send(`{"type":"publish","channel":"${CHANNEL}","data":{"seq":${seq}}}`);
  }

  startPhase(): void {
    const phase: PhaseResult = { pingMs: [], publishMs: [], lostPings: 0, lostPublishes: 0, trouble: {} };
    this.current = phase;
    this.ticker = setInterval(() => this.tick(phase), TICK_MS);
  }

  /** Stops sending, waits for answers still on their way, and counts the rest as lost at their age. */
  async endPhase(): Promise<PhaseResult> {
    const phase = this.current;
    if (!phase) throw new Error("no phase running");
    clearInterval(this.ticker);
    const deadline = performance.now() + LATE_ANSWER_GRACE_MS;
    const waiting = () => this.pendingPublishes.size > 0 || this.senders.some((sender) => sender.pendingPings.size > 0);
    while (waiting() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const now = performance.now();
    for (const sender of this.senders) {
      for (const ping of sender.pendingPings.values()) {
        ping.phase.lostPings += 1;
        ping.phase.pingMs.push(now - ping.sentAt);
        sender.pongsToSkip += 1;
      }
      sender.pendingPings.clear();
    }
    for (const [seq, publish] of this.pendingPublishes) {
      publish.phase.lostPublishes += 1;
      publish.phase.publishMs.push(now - publish.sentAt);
      this.pendingPublishes.delete(seq);
    }
    this.current = null;
    return phase;
  }

  /** A fresh connection of the quiet tenant: milliseconds to its welcome, or why it failed. */
  async probeConnect(): Promise<string> {
    const startedAt = performance.now();
    try {
      const ws = await welcomed(`${this.wsUrl}/v1?token=${await QuietTenant.token(this.app, "quiet-newcomer", ["subscribe"])}`);
      ws.terminate();
      return `${Math.round(performance.now() - startedAt)} ms`;
    } catch (error) {
      return `failed (${error instanceof Error ? error.message : String(error)})`;
    }
  }

  close(): void {
    clearInterval(this.ticker);
    this.current = null;
    for (const sender of this.senders) sender.ws.terminate();
    this.subscriber.terminate();
  }
}
