import { describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "./token-bucket-limiter";

describe("per-key token bucket", () => {
  it("allows the burst, then asks the caller to retry after the refill time", () => {
    const limiter = new TokenBucketLimiter(2, 4);
    const start = 1_000_000;
    for (let i = 0; i < 4; i++) expect(limiter.take("k", start)).toBe(0);
    expect(limiter.take("k", start)).toBe(1);
    expect(limiter.take("other", start)).toBe(0);
    expect(limiter.take("k", start + 500)).toBe(0);
    expect(limiter.take("k", start + 500)).toBeGreaterThan(0);
  });
});

describe("peek", () => {
  it("tells the wait without spending a token", () => {
    const limiter = new TokenBucketLimiter(1, 1);
    expect(limiter.peek("k", 0)).toBe(0);
    expect(limiter.peek("k", 0)).toBe(0);
    expect(limiter.take("k", 0)).toBe(0);
    expect(limiter.peek("k", 0)).toBe(1);
    expect(limiter.peek("k", 1000)).toBe(0);
  });
});
