// Connections that have not yet sent a whole request, counted per source address (an IPv6 one by its
// /64) against slowloris: each address may hold `maxPerIp` of them, and one past that is closed at
// once. The per-IP connect limit cannot help here, as it counts requests, and these never complete one.
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
  private readonly byAddress = new Map<string, number>();

  constructor(
    private readonly maxPerIp: number,
    private readonly trustedProxies: ReadonlySet<string>,
  ) {}

  /** The HTTP server's `connection` listener: counts the socket, or destroys it when its address is full. */
  readonly onConnection = (socket: Socket): void => {
    const peer = normalizeIp(socket.remoteAddress ?? "unknown");
    if (this.trustedProxies.has(peer)) return;
    // Counted like the other per-address limits: an IPv6 client by its /64.
    const address = rateLimitSubject(peer);
    const pending = this.byAddress.get(address) ?? 0;
    if (pending >= this.maxPerIp) {
      socket.destroy();
      return;
    }
    this.byAddress.set(address, pending + 1);
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
    const left = (this.byAddress.get(entry.address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(entry.address, left);
    else this.byAddress.delete(entry.address);
  }
}
