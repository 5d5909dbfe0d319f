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
