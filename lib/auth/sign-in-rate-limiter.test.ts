import { describe, expect, it } from "vitest";
import { MemorySignInThrottle } from "./sign-in-rate-limiter";

function throttle() {
  const clock = { now: 1_000_000 };
  const limiter = new MemorySignInThrottle({
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

describe("sign-in throttle", () => {
  it("backs off one address on one account exponentially after the free failures, then forgets", () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 5; i++) {
      expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
      limiter.recordFailure("10.0.0.1", "ada@x");
    }
    limiter.recordFailure("10.0.0.1", "ada@x");
    expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(1);
    clock.now += 1_001;
    expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
    limiter.recordFailure("10.0.0.1", "ada@x");
    expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(2);
    clock.now += 2_001;
    limiter.recordFailure("10.0.0.1", "ada@x");
    expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(4);
    clock.now += 600_001;
    expect(limiter.retryAfterSec("10.0.0.1", "ada@x")).toBe(0);
  });

  it("backs off an address spraying many accounts", () => {
    const { limiter } = throttle();
    for (let i = 0; i < 21; i++) limiter.recordFailure("10.0.0.2", `user${i}@x`);
    expect(limiter.retryAfterSec("10.0.0.2", "someone-new@x")).toBeGreaterThan(0);
    expect(limiter.retryAfterSec("10.0.0.3", "someone-new@x")).toBe(0);
  });

  it("under a distributed attack each failing address waits after one failure, but the real user from another address is never held back", () => {
    const { limiter } = throttle();
    for (let i = 0; i < 30; i++) limiter.recordFailure(`203.0.113.${i}`, "ada@x");
    limiter.recordFailure("198.51.100.1", "ada@x");
    expect(limiter.retryAfterSec("198.51.100.1", "ada@x")).toBeGreaterThan(0);
    // The first 20 failures are free; from then on every address that fails on ada waits.
    for (let i = 20; i < 30; i++) expect(limiter.retryAfterSec(`203.0.113.${i}`, "ada@x")).toBeGreaterThan(0);
    expect(limiter.retryAfterSec("192.0.2.7", "ada@x")).toBe(0);
  });

  it("an address that signed in before stays welcome while the account is under attack, and success buys an attacker no extra guesses", () => {
    const { limiter } = throttle();
    limiter.recordSuccess("192.0.2.7", "ada@x");
    for (let i = 0; i < 30; i++) limiter.recordFailure(`203.0.113.${i}`, "ada@x");
    limiter.recordFailure("192.0.2.7", "ada@x");
    expect(limiter.retryAfterSec("192.0.2.7", "ada@x")).toBe(0);

    for (let i = 0; i < 21; i++) limiter.recordFailure("10.9.9.9", `victim${i}@x`);
    limiter.recordSuccess("10.9.9.9", "attacker@x");
    expect(limiter.retryAfterSec("10.9.9.9", "victim0@x")).toBeGreaterThan(0);
  });
});
