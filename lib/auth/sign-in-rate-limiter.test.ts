// One suite for both implementations: in memory (one web process) and in Redis (shared by replicas).
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisSignInThrottle } from "./redis-sign-in-throttle";
import { MemorySignInThrottle, type SignInThrottle, type SignInThrottleOptions } from "./sign-in-rate-limiter";

const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const implementations: [string, (options: SignInThrottleOptions) => SignInThrottle][] = [
  ["in memory", (options) => new MemorySignInThrottle(options)],
  [
    "in Redis",
    (options) => {
      const prefix = `test:${randomBytes(6).toString("hex")}`;
      return new RedisSignInThrottle(redis, (...parts) => [prefix, ...parts.map(encodeURIComponent)].join(":"), options);
    },
  ],
];

describe.each(implementations)("sign-in throttle %s", (_name, make) => {
  function throttle() {
    const clock = { now: 1_000_000 };
    const limiter = make({
      freeFailuresPerAddress: 20,
      freeFailuresPerPair: 5,
      freeFailuresPerAccount: 20,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      forgetAfterMs: 600_000,
      now: () => clock.now,
    });
    return { limiter, clock };
  }

  it("backs off one address on one account exponentially after the free failures, then forgets", async () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 5; i++) {
      expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
      await limiter.recordFailure("10.0.0.1", "ada@x");
    }
    await limiter.recordFailure("10.0.0.1", "ada@x");
    expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(1);
    clock.now += 1_001;
    expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
    await limiter.recordFailure("10.0.0.1", "ada@x");
    expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(2);
    clock.now += 2_001;
    await limiter.recordFailure("10.0.0.1", "ada@x");
    expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(4);
    clock.now += 600_001;
    expect(await limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
  });

  it("backs off an address spraying many accounts", async () => {
    const { limiter } = throttle();
    for (let i = 0; i < 21; i++) await limiter.recordFailure("10.0.0.2", `user${i}@x`);
    expect(await limiter.retryAfterSec("10.0.0.2", "someone-new@x")).toBeGreaterThan(0);
    expect(await limiter.retryAfterSec("10.0.0.3", "someone-new@x")).toBe(0);
  });

  it("under a distributed attack each failing address waits after one failure, but the real user from another address is never held back", async () => {
    const { limiter } = throttle();
    for (let i = 0; i < 30; i++) await limiter.recordFailure(`203.0.113.${i}`, "ada@x");
    await limiter.recordFailure("198.51.100.1", "ada@x");
    expect(await limiter.retryAfterSec("198.51.100.1", "ada@x")).toBeGreaterThan(0);
    // The first 20 failures are free; from then on every address that fails on ada waits.
    for (let i = 20; i < 30; i++) expect(await limiter.retryAfterSec(`203.0.113.${i}`, "ada@x")).toBeGreaterThan(0);
    expect(await limiter.retryAfterSec("192.0.2.7", "ada@x")).toBe(0);
  });

  it("an address that signed in before stays welcome while the account is under attack, and success buys an attacker no extra guesses", async () => {
    const { limiter } = throttle();
    await limiter.recordSuccess("192.0.2.7", "ada@x");
    for (let i = 0; i < 30; i++) await limiter.recordFailure(`203.0.113.${i}`, "ada@x");
    await limiter.recordFailure("192.0.2.7", "ada@x");
    expect(await limiter.retryAfterSec("192.0.2.7", "ada@x")).toBe(0);

    for (let i = 0; i < 21; i++) await limiter.recordFailure("10.9.9.9", `victim${i}@x`);
    await limiter.recordSuccess("10.9.9.9", "attacker@x");
    expect(await limiter.retryAfterSec("10.9.9.9", "victim0@x")).toBeGreaterThan(0);
  });
});

describe.each(implementations)("sign-in throttle %s, forgetting", (_name, make) => {
  it("starts counting afresh once the last failure is older than the forget time", async () => {
    const clock = { now: 5_000_000 };
    const limiter = make({ freeFailuresPerAddress: 20, freeFailuresPerPair: 2, freeFailuresPerAccount: 20, baseDelayMs: 1_000, maxDelayMs: 60_000, forgetAfterMs: 10_000, now: () => clock.now });
    for (let i = 0; i < 3; i++) await limiter.recordFailure("10.1.1.1", "bo@x");
    expect(await limiter.retryAfterSec("10.1.1.1", "bo@x")).toBe(1);
    clock.now += 10_001;
    // Two failures are free again, as for a newcomer.
    await limiter.recordFailure("10.1.1.1", "bo@x");
    await limiter.recordFailure("10.1.1.1", "bo@x");
    expect(await limiter.retryAfterSec("10.1.1.1", "bo@x")).toBe(0);
  });
});
