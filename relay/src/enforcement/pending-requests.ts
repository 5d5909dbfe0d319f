// Connections that have not yet sent a whole request (slowloris), held to two caps. Per source address
// (an IPv6 one by its /64): each may hold `maxPerIp` of them, and one past that is closed at once; the
// per-IP connect limit cannot help here, as it counts requests, and these never complete one. Node-wide:
// at most `maxTotal` (a share of the open-file limit, socket-budget.ts), so many addresses together cannot
// use up the process's file descriptors. Past that, a new socket makes room by closing the oldest pending
// socket of the address that holds the most: a flood's sockets are what gets closed, while a client
// with one handshake in flight (milliseconds long) gets through. Closing the new socket instead would
// turn every newcomer away for as long as the flood is held.
// A trusted proxy is not counted: it carries many clients, and defends its own sockets. How long one
// may take is Node's headersTimeout (`headersTimeoutOptions`). The relay and the web app's server
// (server/web-server.ts) both use these.
import type { ServerOptions } from "node:http";
import type { Socket } from "node:net";
import { normalizeIp, rateLimitSubject } from "./ip-limiter";

/** Generous for a NAT full of clients reconnecting at once (each handshake takes milliseconds), small against a socket flood. */
export const DEFAULT_MAX_PENDING_REQUESTS_PER_IP = 256;
/** A request whose headers are not in by then is answered 408 and closed. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/** Node's server options that answer 408 to a request whose headers are not in within `timeoutMs`. */
export function headersTimeoutOptions(timeoutMs: number): Pick<ServerOptions, "headersTimeout" | "connectionsCheckingInterval"> {
  // Node checks for late requests every connectionsCheckingInterval (30 s by default, too coarse).
  return { headersTimeout: timeoutMs, connectionsCheckingInterval: Math.min(1_000, Math.ceil(timeoutMs / 4)) };
}

const PENDING = Symbol("pendingRequest");
type TrackedSocket = Socket & { [PENDING]?: { requests: PendingRequests; address: string } };

/** One `close` listener for every pending socket (no closure per connection). */
function settleOnClose(this: TrackedSocket): void {
  this[PENDING]?.requests.settled(this);
}

export class PendingRequests {
  /** Each address's pending sockets, oldest first. */
  private readonly byAddress = new Map<string, Set<Socket>>();
  /** Addresses by how many pending sockets they hold, each group in the order its members got there. */
  private readonly addressesHolding = new Map<number, Set<string>>();
  private mostHeld = 0;
  private total = 0;

  constructor(
    private readonly maxPerIp: number,
    private readonly trustedProxies: ReadonlySet<string>,
    private readonly maxTotal: number,
  ) {}

  /** Pending sockets counted now (trusted proxies' excluded). */
  get size(): number {
    return this.total;
  }

  /** The HTTP server's `connection` listener: counts the socket, or destroys it when its address is full. */
  readonly onConnection = (socket: Socket): void => {
    const peer = normalizeIp(socket.remoteAddress ?? "unknown");
    if (this.trustedProxies.has(peer)) return;
    // Counted like the other per-address limits: an IPv6 client by its /64.
    const address = rateLimitSubject(peer);
    if ((this.byAddress.get(address)?.size ?? 0) >= this.maxPerIp) {
      socket.destroy();
      return;
    }
    if (this.total >= this.maxTotal) this.evictFromLargestHolder();
    // Looked up after the eviction, which may have emptied (and dropped) this address's set.
    let sockets = this.byAddress.get(address);
    if (!sockets) {
      sockets = new Set();
      this.byAddress.set(address, sockets);
    }
    sockets.add(socket);
    this.total += 1;
    this.regroup(address, sockets.size - 1, sockets.size);
    (socket as TrackedSocket)[PENDING] = { requests: this, address };
    socket.once("close", settleOnClose);
  };

  /** The socket's first request (or upgrade) arrived whole, or it closed: it no longer counts. */
  settled(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    const entry = tracked[PENDING];
    if (!entry) return;
    tracked[PENDING] = undefined;
    socket.off("close", settleOnClose);
    const sockets = this.byAddress.get(entry.address);
    if (!sockets?.delete(socket)) return;
    this.total -= 1;
    if (sockets.size === 0) this.byAddress.delete(entry.address);
    this.regroup(entry.address, sockets.size + 1, sockets.size);
  }

  /** Closes the oldest pending socket of the address holding the most (the first to reach that count). */
  private evictFromLargestHolder(): void {
    const address = this.addressesHolding.get(this.mostHeld)?.values().next().value;
    const oldest = address === undefined ? undefined : this.byAddress.get(address)?.values().next().value;
    if (!oldest) return;
    this.settled(oldest);
    oldest.destroy();
  }

  /** Moves the address from the group holding `from` to the one holding `to` (always one apart). */
  private regroup(address: string, from: number, to: number): void {
    const left = this.addressesHolding.get(from);
    left?.delete(address);
    if (left?.size === 0) this.addressesHolding.delete(from);
    if (to > 0) {
      const joined = this.addressesHolding.get(to);
      if (joined) joined.add(address);
      else this.addressesHolding.set(to, new Set([address]));
    }
    if (to > this.mostHeld) this.mostHeld = to;
    else if (from === this.mostHeld && !this.addressesHolding.has(from)) this.mostHeld = to;
  }
}
