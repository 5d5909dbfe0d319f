import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../seeded-random";
import { IpConnectLimiter, clientIp, rateLimitSubject } from "./ip-limiter";

/** The rule itself, kept by brute force: every attempt remembered, the window counted afresh each time. */
class ReferenceLimiter {
  private readonly attempts: number[] = [];
  constructor(private readonly windowMs: number) {}

  attempt(limit: number, nowMs: number): number {
    const inWindow = this.attempts.filter((t) => t > nowMs - this.windowMs);
    this.attempts.push(nowMs);
    if (inWindow.length < limit) return 0;
    // The next attempt passes once fewer than `limit` attempts (this one included) are in its window:
    // when the limit-th newest leaves it.
    const newestFirst = [...inWindow, nowMs].sort((a, b) => b - a);
    return (newestFirst[limit - 1] ?? nowMs) + this.windowMs - nowMs;
  }
}

describe("IpConnectLimiter", () => {
  const limiters: IpConnectLimiter[] = [];
  afterEach(() => limiters.splice(0).forEach((l) => l.close()));

  it("allows the limit per window and counts refused attempts too", () => {
    const limiter = new IpConnectLimiter(60_000);
    limiters.push(limiter);
    for (let i = 0; i < 3; i++) expect(limiter.attempt("1.2.3.4", 3, 1_000 + i)).toBe(0);
    // Refused: the next attempt passes when the attempt at 1 001 leaves the window (then 2 remain).
    expect(limiter.attempt("1.2.3.4", 3, 2_000)).toBe(60_000 + 1_001 - 2_000);
    // Other addresses have their own window.
    expect(limiter.attempt("5.6.7.8", 3, 2_000)).toBe(0);
    // The first attempts leave the window, but the refused one at 2 000 still counts.
    expect(limiter.attempt("1.2.3.4", 3, 61_001)).toBe(0);
    expect(limiter.attempt("1.2.3.4", 3, 61_002)).toBe(0);
    expect(limiter.attempt("1.2.3.4", 3, 61_003)).toBeGreaterThan(0);
  });

  it("a client that waits the Retry-After it was given gets in on its next attempt", () => {
    const limiter = new IpConnectLimiter(60_000);
    limiters.push(limiter);
    // One attempt every 10 s against a limit of 3 a minute: the fourth is refused.
    for (const at of [0, 10_000, 20_000]) expect(limiter.attempt("1.2.3.4", 3, at)).toBe(0);
    const retryAfterMs = limiter.attempt("1.2.3.4", 3, 30_000);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(limiter.attempt("1.2.3.4", 3, 30_000 + retryAfterMs)).toBe(0);
  });

  it("a flood longer than the log keeps counting its newest attempts, and ends a window after its last", () => {
    const limiter = new IpConnectLimiter(60_000);
    limiters.push(limiter);
    let retryAfterMs = 0;
    for (let at = 0; at < 12_000; at++) retryAfterMs = limiter.attempt("1.2.3.4", 3, at);
    // The third-newest attempt (at 11 997) leaves the window at 71 997.
    expect(retryAfterMs).toBe(71_997 - 11_999);
    expect(limiter.attempt("1.2.3.4", 3, 71_996)).toBeGreaterThan(0);
    expect(limiter.attempt("1.2.3.4", 3, 71_999 + 60_000)).toBe(0);
  });

  it("matches the rule exactly over random traffic with changing limits: who passes, and the shortest wait", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const windowMs = 1_000;
      const limiter = new IpConnectLimiter(windowMs);
      limiters.push(limiter);
      const reference = new ReferenceLimiter(windowMs);
      let nowMs = 10_000;
      for (let i = 0; i < 3_000; i++) {
        // Bursts and pauses; the limit changes as a client names apps with other limits.
        nowMs += random() < 0.8 ? Math.floor(random() * 20) : Math.floor(random() * 1_500);
        const limit = [1, 5, 40, 200][Math.floor(random() * 4)] ?? 5;
        expect(limiter.attempt("1.2.3.4", limit, nowMs), `seed ${seed}, attempt ${i}`).toBe(reference.attempt(limit, nowMs));
      }
    }
  });

  it("counts every address of an IPv6 /64 against one window", () => {
    const limiter = new IpConnectLimiter(60_000);
    limiters.push(limiter);
    expect(limiter.attempt("2001:db8:1:2::1", 2, 1_000)).toBe(0);
    expect(limiter.attempt("2001:db8:1:2:dead:beef:0:1", 2, 1_001)).toBe(0);
    expect(limiter.attempt("2001:db8:1:2::ffff", 2, 1_002)).toBeGreaterThan(0);
    expect(limiter.attempt("2001:db8:1:3::1", 2, 1_003)).toBe(0);
  });
});

describe("rateLimitSubject", () => {
  it("is the address for IPv4 and the /64 for IPv6, whatever the spelling", () => {
    expect(rateLimitSubject("203.0.113.9")).toBe("203.0.113.9");
    expect(rateLimitSubject("unknown")).toBe("unknown");
    for (const spelling of ["2001:db8:1:2::1", "2001:0DB8:0001:0002:ffff:0:0:9", "2001:db8:1:2:0::", "2001:db8:1:2:a:b:1.2.3.4"]) {
      expect(rateLimitSubject(spelling)).toBe("2001:db8:1:2::/64");
    }
    expect(rateLimitSubject("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(rateLimitSubject("2001:db8:1::2:3")).toBe("2001:db8:1:0::/64");
    expect(rateLimitSubject("::1")).toBe("0:0:0:0::/64");
    expect(rateLimitSubject("::")).toBe("0:0:0:0::/64");
    expect(rateLimitSubject("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
    expect(rateLimitSubject("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(rateLimitSubject("1:2:3:4:5:6:7::")).toBe("1:2:3:4::/64");
  });
});

describe("clientIp", () => {
  const proxies = new Set(["10.0.0.1", "10.0.0.2"]);

  it("uses the socket's address unless it is a trusted proxy", () => {
    expect(clientIp("203.0.113.9", "198.51.100.1", proxies)).toBe("203.0.113.9");
    expect(clientIp("::ffff:203.0.113.9", undefined, proxies)).toBe("203.0.113.9");
    expect(clientIp("10.0.0.1", undefined, proxies)).toBe("10.0.0.1");
  });

  it("behind trusted proxies takes the right-most hop that is not one of them (a client cannot spoof the left)", () => {
    expect(clientIp("10.0.0.1", "198.51.100.1", proxies)).toBe("198.51.100.1");
    expect(clientIp("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", proxies)).toBe("198.51.100.1");
    expect(clientIp("::ffff:10.0.0.1", ["6.6.6.6", "198.51.100.1"], proxies)).toBe("198.51.100.1");
    expect(clientIp("10.0.0.1", "10.0.0.2", proxies)).toBe("10.0.0.1");
  });
});
