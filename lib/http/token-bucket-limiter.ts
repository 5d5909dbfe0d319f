// The in-memory RateLimiter: a token bucket per key, refilled continuously. Each web process counts on
// its own, so W replicas admit W times a limit until a shared implementation replaces this one.
import type { RateLimiter } from "./rate-limiter";

export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAtMs: number }>();

  constructor(
    private readonly refillPerSecond: number,
    private readonly burst: number,
    private readonly maxTrackedKeys = 100_000,
  ) {}

  /** Takes one token; returns 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: string, nowMs: number = Date.now()): number {
    const bucket = this.refilled(key, nowMs);
    if (this.buckets.size >= this.maxTrackedKeys && !this.buckets.has(key)) this.buckets.clear();
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitSec(bucket.tokens);
  }

  /** Like take, but only looks: 0 when a token is there, else the seconds until one is. */
  peek(key: string, nowMs: number = Date.now()): number {
    const bucket = this.refilled(key, nowMs);
    return bucket.tokens >= 1 ? 0 : this.waitSec(bucket.tokens);
  }

  private refilled(key: string, nowMs: number): { tokens: number; updatedAtMs: number } {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedAtMs: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.updatedAtMs) / 1000) * this.refillPerSecond);
    bucket.updatedAtMs = nowMs;
    return bucket;
  }

  private waitSec(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.refillPerSecond));
  }
}
