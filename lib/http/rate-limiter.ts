// The one shape of every token-bucket limit in the control plane (/v1, public routes, invitation mail).
// Callers always await take/peek, so a limiter that counts in a shared store (Redis, for several web
// replicas) can stand in for the in-memory one behind createRateLimiter without touching them.
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

/** A limiter for one rule; today it counts in this process's memory. */
export function createRateLimiter(rule: TokenBucketRule): RateLimiter {
  return new TokenBucketLimiter(rule.refillPerSecond, rule.burst);
}
