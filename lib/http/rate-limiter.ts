// The one shape of every token-bucket limit in the control plane (/v1, public routes, invitation mail,
// webhook test events). With REDIS_URL set on the web app every replica counts in one Redis bucket per
// limit and subject (redis-rate-limiter.ts), so W replicas admit what one would; without it (the embedded
// default, one web process) the buckets live in the process. If Redis stops answering, a replica counts
// in its own memory until it answers again: limits loosen to per-replica for that time, requests go on.
import { getWebRedis, sharedOrLocal, webKey } from "@/lib/redis/web-redis";
import { RedisTokenBucketLimiter } from "./redis-rate-limiter";
import { TokenBucketLimiter } from "./token-bucket-limiter";

export interface RateLimiter {
  /** Takes one token; 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: string): number | Promise<number>;
  /** Like take, but only looks: 0 when a token is there, else the seconds until one is. */
  peek(key: string): number | Promise<number>;
}

export interface TokenBucketRule {
  /** Tokens a key may spend at once. */
  burst: number;
  refillPerSecond: number;
}

/** A limiter for one rule; `name` keeps its buckets apart from other limits' in a shared store. */
export function createRateLimiter(name: string, rule: TokenBucketRule): RateLimiter {
  const local = new TokenBucketLimiter(rule.refillPerSecond, rule.burst);
  const redis = getWebRedis();
  if (!redis) return local;
  const shared = new RedisTokenBucketLimiter(redis, (subject) => webKey("limit", name, subject), rule);
  return {
    take: (key) => sharedOrLocal<RateLimiter, number>(shared, local, (limiter) => limiter.take(key)),
    peek: (key) => sharedOrLocal<RateLimiter, number>(shared, local, (limiter) => limiter.peek(key)),
  };
}
