// Per-source-IP connect limiter (PROTOCOL §1): a sliding log of attempt times per IP. Every attempt
// counts, refused ones included, so a flood cannot reset its own window.
import { isIP } from "node:net";

export class IpConnectLimiter {
  private readonly attempts = new Map<string, number[]>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly windowMs: number) {
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(windowMs, 1_000));
    this.sweepTimer.unref();
  }

  /**
   * Records an attempt from `ip` (as `clientIp` gives it); returns 0 when allowed, else the ms until the
   * oldest attempt leaves the window. An IPv6 address counts against its /64 (`rateLimitSubject`).
   */
  attempt(ip: string, limit: number, nowMs: number = Date.now()): number {
    const subject = rateLimitSubject(ip);
    let times = this.attempts.get(subject);
    if (!times) {
      times = [];
      this.attempts.set(subject, times);
    }
    const cutoff = nowMs - this.windowMs;
    while (times.length > 0 && (times[0] ?? 0) <= cutoff) times.shift();
    const allowed = times.length < limit;
    times.push(nowMs);
    // Never keep more entries than any limit can need.
    if (times.length > Math.max(limit, 1) * 2) times.splice(0, times.length - Math.max(limit, 1) * 2);
    if (allowed) return 0;
    return Math.max(1, (times[0] ?? nowMs) + this.windowMs - nowMs);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.windowMs;
    for (const [ip, times] of this.attempts) {
      if ((times[times.length - 1] ?? 0) <= cutoff) this.attempts.delete(ip);
    }
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }
}

/**
 * What a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (as "2001:db8:1:2::/64").
 * A /64 is what one host or one customer network is given, so a client holding one could otherwise
 * pick a fresh source address for every attempt. `ip` is an address as `clientIp` returns it
 * (IPv4-mapped addresses already unwrapped); anything without a colon is returned as it is.
 */
export function rateLimitSubject(ip: string): string {
  if (!ip.includes(":")) return ip;
  const address = ip.split("%")[0] ?? ip;
  const gap = address.indexOf("::");
  const groups = (text: string) => (text === "" ? [] : text.split(":"));
  let leading: string[];
  if (gap === -1) leading = groups(address);
  else {
    const head = groups(address.slice(0, gap));
    // Only the first four groups matter: a trailing dotted quad lies in the last two, never among them.
    const tail = groups(address.slice(gap + 2));
    const tailGroups = tail.reduce((count, group) => count + (group.includes(".") ? 2 : 1), 0);
    leading = [...head, ...Array<string>(Math.max(0, 8 - head.length - tailGroups)).fill("0"), ...tail];
  }
  return `${leading
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it is. */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** TRUSTED_PROXIES: a comma list of proxy addresses (blanks ignored). The web app parses it here too. */
export function parseTrustedProxies(list: string): Set<string> {
  return new Set(list.split(",").map((entry) => normalizeIp(entry.trim())).filter((entry) => entry.length > 0));
}

/**
 * The client's IP: the socket's peer, or — only when that peer is a trusted proxy — the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy.
 */
export function clientIp(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: ReadonlySet<string>): string {
  const peer = normalizeIp(remoteAddress ?? "unknown");
  if (!trustedProxies.has(peer) || forwardedFor === undefined) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor;
  const hops = header.split(",").map((h) => normalizeIp(h.trim())).filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop !== undefined && !trustedProxies.has(hop)) return hop;
  }
  return peer;
}
