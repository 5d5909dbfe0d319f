import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket";

describe("TokenBucket", () => {
  it("allows exactly the burst at once, then refills at the rate", () => {
    const bucket = new TokenBucket(3, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(10, 3, 0))).toEqual([true, true, true, false]);
    // 10 tokens/s: one token after 100 ms, not before.
    expect(bucket.take(10, 3, 99)).toBe(false);
    expect(bucket.take(10, 3, 200)).toBe(true);
  });

  it("never holds more than the burst, and follows a changed plan on the next take", () => {
    const bucket = new TokenBucket(2, 0);
    expect(bucket.take(100, 2, 60_000)).toBe(true);
    expect(bucket.take(100, 2, 60_000)).toBe(true);
    expect(bucket.take(100, 2, 60_000)).toBe(false);
    // A plan with a larger burst refills up to it.
    expect([1, 2, 3, 4, 5].map(() => bucket.take(100, 5, 120_000))).toEqual([true, true, true, true, true]);
    expect(bucket.take(100, 5, 120_000)).toBe(false);
  });
});
