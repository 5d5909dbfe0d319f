// One suite for both token buckets: in memory (one web process) and in Redis (shared by replicas).
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRateLimiter, type RateLimiter, type TokenBucketRule } from "./rate-limiter";
import { RedisTokenBucketLimiter } from "./redis-rate-limiter";
import { TokenBucketLimiter } from "./token-bucket-limiter";

const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

type Clock = { now: number };
const implementations: [string, (rule: TokenBucketRule, clock: Clock) => RateLimiter][] = [
  [
    "in memory",
    (rule, clock) => {
      const limiter = new TokenBucketLimiter(rule.refillPerSecond, rule.burst);
      return { take: (key) => limiter.take(key, clock.now), peek: (key) => limiter.peek(key, clock.now) };
    },
  ],
  [
    "in Redis",
    (rule, clock) => {
      const prefix = `test:${randomBytes(6).toString("hex")}`;
      return new RedisTokenBucketLimiter(redis, (subject) => `${prefix}:${subject}`, rule, () => clock.now);
    },
  ],
];

describe.each(implementations)("token bucket %s", (_name, make) => {
  it("allows the burst, then asks the caller to retry after the refill time", async () => {
    const clock = { now: 1_000_000 };
    const limiter = make({ refillPerSecond: 2, burst: 4 }, clock);
    for (let i = 0; i < 4; i++) expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBe(1);
    expect(await limiter.take("other")).toBe(0);
    clock.now += 500;
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBeGreaterThan(0);
  });

  it("peek tells the wait without spending a token", async () => {
    const clock = { now: 0 };
    const limiter = make({ refillPerSecond: 1, burst: 1 }, clock);
    expect(await limiter.peek("k")).toBe(0);
    expect(await limiter.peek("k")).toBe(0);
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.peek("k")).toBe(1);
    clock.now += 1000;
    expect(await limiter.peek("k")).toBe(0);
  });

  it("says how long a slow bucket takes to refill", async () => {
    const clock = { now: 0 };
    const limiter = make({ refillPerSecond: 1 / 60, burst: 1 }, clock);
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBe(60);
    clock.now += 30_000;
    expect(await limiter.take("k")).toBe(30);
  });
});

describe("the Redis token bucket", () => {
  it("is one bucket for every replica: two limiters on one key admit the burst once", async () => {
    const prefix = `test:${randomBytes(6).toString("hex")}`;
    const rule = { refillPerSecond: 0.001, burst: 10 };
    const replicaA = new RedisTokenBucketLimiter(redis, (subject) => `${prefix}:${subject}`, rule);
    const replicaB = new RedisTokenBucketLimiter(redis, (subject) => `${prefix}:${subject}`, rule);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? replicaA : replicaB).take("key")));
    expect(answers.filter((wait) => wait === 0)).toHaveLength(10);
  });
});

describe("a limiter whose Redis does not answer", () => {
  it("counts in the process instead of failing the request", async () => {
    const saved = process.env.REDIS_URL;
    const globals = globalThis as unknown as { tollgateWebRedis?: unknown };
    process.env.REDIS_URL = "redis://127.0.0.1:1";
    globals.tollgateWebRedis = undefined;
    try {
      const limiter = createRateLimiter("fallback-test", { burst: 2, refillPerSecond: 0.001 });
      expect(await limiter.take("k")).toBe(0);
      expect(await limiter.take("k")).toBe(0);
      expect(await limiter.take("k")).toBeGreaterThan(0);
    } finally {
      (globals.tollgateWebRedis as Redis | undefined)?.disconnect();
      globals.tollgateWebRedis = undefined;
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });
});
