// What an attack of bench/neighbours-attacks.ts works with: connections from many loopback addresses
// that count every refusal, error frame and close instead of throwing (the relay's defences are
// expected to refuse most of what an attacker tries), pacing and flooding, and cleanup at stop.
import { connect as connectTcp } from "node:net";
import type { Socket } from "node:net";
import { WebSocket } from "ws";
import { mintToken } from "../relay/test/helpers";
import type { TokenOptions } from "../relay/test/helpers";
import type { AttackPlan, AttackerKeys, Tally } from "./neighbours-plan";

/** Attackers connect from 127.0.0.2 … 127.0.0.81, as many addresses as one host can easily hold. */
const SOURCE_ADDRESS_COUNT = 80;
const WELCOME_TIMEOUT_MS = 10_000;
/** A flooding socket stops queueing while this much is unsent. */
const FLOOD_BUFFER_BYTES = 256 * 1024;
const FLOOD_FRAMES_PER_TURN = 200;

/** The type of a relay frame from its opening bytes, without parsing a (possibly megabytes long) frame. */
function frameType(data: Buffer): string {
  return /^\{"type":"([a-z_]+)"/.exec(data.subarray(0, 32).toString("latin1"))?.[1] ?? "unknown";
}

export interface ConnectOptions {
  /** Every frame after the welcome, with its type. */
  onFrame?: (type: string, data: Buffer) => void;
  /** The source address; by default each connection takes the next of the 80. */
  from?: string;
}

export class AttackContext {
  readonly tally: Tally = {};
  readonly notes: string[] = [];
  stopped = false;
  private readonly webSockets = new Set<WebSocket>();
  private readonly tcpSockets = new Set<Socket>();
  private addressSeq = 0;
  private announcedSetUp = false;

  constructor(
    readonly plan: AttackPlan,
    private readonly announceSetUp: () => void,
  ) {}

  get keys(): AttackerKeys {
    return this.plan.keys;
  }

  count(outcome: string, amount = 1): void {
    this.tally[outcome] = (this.tally[outcome] ?? 0) + amount;
  }

  /** The attack is at full strength (its connections and subscriptions are in place). */
  setUp(): void {
    if (this.announcedSetUp) return;
    this.announcedSetUp = true;
    this.announceSetUp();
  }

  sourceAddress(): string {
    return `127.0.0.${2 + (this.addressSeq++ % SOURCE_ADDRESS_COUNT)}`;
  }

  publishableQuery(): string {
    return `key=${this.keys.publishableKeyId}`;
  }

  async tokenQuery(key: AttackerKeys["secretKey"], options: TokenOptions): Promise<string> {
    return `token=${await mintToken(key, options)}`;
  }

  /**
   * One connection from the next source address; resolves with it once welcomed, or with null after
   * counting why it was refused (HTTP status at the upgrade, close before the welcome, socket error).
   */
  connect(query: string, options: ConnectOptions = {}): Promise<WebSocket | null> {
    if (this.stopped) return Promise.resolve(null);
    const ws = new WebSocket(`${this.plan.wsUrl}/v1?${query}`, { perMessageDeflate: false, skipUTF8Validation: true, localAddress: options.from ?? this.sourceAddress() });
    this.webSockets.add(ws);
    return new Promise((resolve) => {
      let welcomed = false;
      const timer = setTimeout(() => {
        this.count(`refused: no welcome within ${WELCOME_TIMEOUT_MS / 1000} s`);
        ws.terminate();
      }, WELCOME_TIMEOUT_MS);
      const refuse = (outcome: string) => {
        clearTimeout(timer);
        this.count(outcome);
        resolve(null);
      };
      ws.on("error", (error: Error & { code?: string }) => {
        if (welcomed) return;
        const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
        refuse(status ? `refused at upgrade: HTTP ${status}` : `refused: ${error.code ?? error.message}`);
      });
      ws.on("close", (code: number, reason: Buffer) => {
        this.webSockets.delete(ws);
        if (!welcomed) return refuse(`refused: close ${code} ${reason.toString()}`.trim());
        if (!this.stopped) this.count(`closed ${code} ${reason.toString()}`.trim());
      });
      ws.on("message", (data: Buffer) => {
        const type = frameType(data);
        if (!welcomed) {
          if (type !== "welcome") return refuse(`refused: first frame ${type}`);
          welcomed = true;
          clearTimeout(timer);
          this.count("connected");
          return resolve(ws);
        }
        if (type === "error") this.count(`error ${/"code":"([a-z_]+)"/.exec(data.toString("latin1"))?.[1] ?? "?"}`);
        options.onFrame?.(type, data);
      });
    });
  }

  /** `count` connections with at most `inFlight` connecting at once; returns the welcomed ones. */
  async connectMany(count: number, inFlight: number, query: (index: number) => string | Promise<string>, options: ConnectOptions = {}): Promise<WebSocket[]> {
    const welcomed: WebSocket[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count && !this.stopped) {
        const ws = await this.connect(await query(next++), options);
        if (ws) welcomed.push(ws);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
    return welcomed;
  }

  /** A raw TCP connection from the next source address, closed with the others at stop. */
  tcpConnect(): Socket {
    const socket = connectTcp({ port: this.plan.port, host: "127.0.0.1", localAddress: this.sourceAddress() });
    this.tcpSockets.add(socket);
    socket.once("close", () => this.tcpSockets.delete(socket));
    return socket;
  }

  openTcpSockets(): number {
    return this.tcpSockets.size;
  }

  /** Sends `frames` in turn as fast as the socket drains, until it closes or the attack stops. */
  flood(ws: WebSocket, frames: readonly string[], counted: string): Promise<void> {
    let seq = 0;
    return new Promise((resolve) => {
      const pump = () => {
        if (this.stopped || ws.readyState !== WebSocket.OPEN) return resolve();
        let sent = 0;
        while (sent < FLOOD_FRAMES_PER_TURN && ws.bufferedAmount < FLOOD_BUFFER_BYTES) {
          ws.send(frames[seq++ % frames.length] ?? "");
          sent += 1;
        }
        this.count(counted, sent);
        setImmediate(pump);
      };
      pump();
    });
  }

  /** Calls `action` `perSecond` times a second (in 10 ms ticks, the first at once) until the attack stops. */
  every(perSecond: number, action: (seq: number) => void): Promise<void> {
    const startedAt = performance.now();
    let done = 0;
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (this.stopped) {
          clearInterval(timer);
          return resolve();
        }
        const due = perSecond > 0 ? 1 + Math.floor(((performance.now() - startedAt) / 1000) * perSecond) : 0;
        while (done < due) action(done++);
      }, 10);
    });
  }

  /** Resolves when the attack is stopped. */
  untilStopped(): Promise<void> {
    return this.every(0, () => undefined);
  }

  closeAll(): void {
    this.notes.push(`sockets still open at stop: ${this.webSockets.size} WebSocket, ${this.tcpSockets.size} TCP`);
    for (const ws of this.webSockets) ws.terminate();
    for (const socket of this.tcpSockets) socket.destroy();
  }
}
