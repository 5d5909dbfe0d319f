// Per-source-IP connect limiter (PROTOCOL §1): a sliding log of attempt times per IP. Every attempt
// counts, refused ones included, so a flood cannot reset its own window.
import { isIP } from "node:net";

/**
 * Attempts an address's log keeps at least, whatever its limit: the limit of one address's attempts
 * changes with the app each one names, and a count against a higher limit needs the older ones too.
 */
const MIN_ATTEMPTS_KEPT = 10_000;

/**
 * One address's most recent attempts, oldest first, in a ring that grows as needed, so each attempt
 * costs O(1) however many are kept (an array shifted per attempt cost time in its length). It keeps
 * every attempt in the window up to max(limit, MIN_ATTEMPTS_KEPT): whether one passes a limit of L
 * depends only on the L newest.
 */
class AttemptLog {
  private times = new Float64Array(8);
  private head = 0;
  size = 0;

  /** The i-th oldest attempt kept. */
  at(index: number): number {
    return this.times[(this.head + index) % this.times.length] ?? 0;
  }

  newest(): number {
    return this.at(this.size - 1);
  }

  /** Forgets the attempts at or before `cutoffMs`. */
  expire(cutoffMs: number): void {
    while (this.size > 0 && this.at(0) <= cutoffMs) {
      this.head = (this.head + 1) % this.times.length;
      this.size -= 1;
    }
  }

  /** Records an attempt, keeping at least the `keep` newest. */
  push(timeMs: number, keep: number): void {
    if (this.size === this.times.length) {
      if (this.times.length < keep) this.grow(Math.min(keep, this.times.length * 2));
      else {
        this.head = (this.head + 1) % this.times.length;
        this.size -= 1;
      }
    }
    this.times[(this.head + this.size) % this.times.length] = timeMs;
    this.size += 1;
  }

  private grow(capacity: number): void {
    const times = new Float64Array(capacity);
    for (let i = 0; i < this.size; i++) times[i] = this.at(i);
    this.times = times;
    this.head = 0;
  }
}

export class IpConnectLimiter {
  private readonly attempts = new Map<string, AttemptLog>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly windowMs: number) {
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(windowMs, 1_000));
    this.sweepTimer.unref();
  }

  /**
   * Records an attempt from `ip` (as `clientIp` gives it) under `limit` attempts per window; returns 0
   * when allowed, else the ms until an attempt would be allowed again (Retry-After), if none is made
   * meanwhile. An IPv6 address counts against its /64 (`rateLimitSubject`).
   */
  attempt(ip: string, limit: number, nowMs: number = Date.now()): number {
    const subject = rateLimitSubject(ip);
    let log = this.attempts.get(subject);
    if (!log) {
      log = new AttemptLog();
      this.attempts.set(subject, log);
    }
    const atMost = Math.max(1, limit);
    log.expire(nowMs - this.windowMs);
    const allowed = log.size < atMost;
    log.push(nowMs, Math.max(atMost, MIN_ATTEMPTS_KEPT));
    if (allowed) return 0;
    // The next attempt passes once fewer than the limit (this one included) are in its window: when
    // the limit-th newest leaves it.
    return log.at(log.size - atMost) + this.windowMs - nowMs;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.windowMs;
    for (const [ip, log] of this.attempts) {
      if (log.newest() <= cutoff) this.attempts.delete(ip);
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
