// Sign-in throttling with exponential backoff (docs/security.md), in three scopes:
// - per source address: after `freeFailuresPerAddress` failures an address waits, doubling each time,
//   whichever accounts it tries — guessing one password over many accounts is slowed;
// - per address *and* account: after `freeFailuresPerPair` failures that address waits for that account;
// - per account: once an account has seen `freeFailuresPerAccount` failures (from anywhere), it is "under
//   attack" and every address that fails on it waits after its first failure — guessing one account from
//   many addresses is slowed.
// What is never throttled is an address that has not failed on the account, or has signed in to it
// before: an attacker elsewhere can slow their own guesses but cannot lock the real user out of a
// correct password. Failures are forgotten `forgetAfterMs` after the last one. With REDIS_URL set on the
// web app every replica counts in Redis (redis-sign-in-throttle.ts); otherwise in its own memory.
import { getWebRedis, sharedOrLocal, webKey } from "@/lib/redis/web-redis";
import { RedisSignInThrottle } from "./redis-sign-in-throttle";

export interface SignInThrottle {
  /** 0 when this address may try this account now, else the seconds to wait. */
  retryAfterSec(address: string, account: string): number | Promise<number>;
  recordFailure(address: string, account: string): void | Promise<void>;
  recordSuccess(address: string, account: string): void | Promise<void>;
}

export interface SignInThrottleOptions {
  freeFailuresPerAddress: number;
  freeFailuresPerPair: number;
  freeFailuresPerAccount: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  maxTrackedEntries?: number;
  now?: () => number;
}

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export class MemorySignInThrottle implements SignInThrottle {
  private readonly byAddress = new Map<string, FailureRecord>();
  private readonly byPair = new Map<string, FailureRecord>();
  private readonly byAccount = new Map<string, FailureRecord>();
  /** Addresses that signed in to an account: never held back by that account being under attack. */
  private readonly knownGood = new Map<string, Set<string>>();
  private readonly now: () => number;

  constructor(private readonly options: SignInThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  retryAfterSec(address: string, account: string): number {
    const now = this.now();
    const waits = [this.current(this.byAddress, address, now)?.lockedUntil ?? 0];
    if (!this.knownGood.get(account)?.has(address)) waits.push(this.current(this.byPair, pairKey(address, account), now)?.lockedUntil ?? 0);
    const until = Math.max(...waits);
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  recordFailure(address: string, account: string): void {
    const now = this.now();
    const accountRecord = this.bump(this.byAccount, account, now, Number.POSITIVE_INFINITY);
    const underAttack = accountRecord.failures > this.options.freeFailuresPerAccount;
    this.bump(this.byAddress, address, now, this.options.freeFailuresPerAddress);
    this.bump(this.byPair, pairKey(address, account), now, underAttack ? 0 : this.options.freeFailuresPerPair);
  }

  recordSuccess(address: string, account: string): void {
    // The address's own failure count stays: signing in to one's own account must not buy more guesses.
    this.byPair.delete(pairKey(address, account));
    const good = this.knownGood.get(account) ?? new Set<string>();
    good.add(address);
    if (good.size > 50) good.delete(good.values().next().value as string);
    this.knownGood.set(account, good);
  }

  private current(map: Map<string, FailureRecord>, key: string, now: number): FailureRecord | undefined {
    const record = map.get(key);
    if (record && now - record.lastFailureAt > this.options.forgetAfterMs) {
      map.delete(key);
      return undefined;
    }
    return record;
  }

  /** Counts a failure; past `free` failures the key is locked for base × 2^(extra − 1), capped. */
  private bump(map: Map<string, FailureRecord>, key: string, now: number, free: number): FailureRecord {
    const record = this.current(map, key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    const extra = record.failures - free;
    if (extra > 0) {
      const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(extra - 1, 30));
      record.lockedUntil = Math.max(record.lockedUntil, now + delay);
    }
    if (!map.has(key) && map.size >= (this.options.maxTrackedEntries ?? 100_000)) this.prune(map, now);
    map.set(key, record);
    return record;
  }

  private prune(map: Map<string, FailureRecord>, now: number): void {
    for (const [key, record] of map) if (now - record.lastFailureAt > this.options.forgetAfterMs || record.lockedUntil <= now) map.delete(key);
  }
}

function pairKey(address: string, account: string): string {
  return `${address}\n${account}`;
}

export const SIGN_IN_THROTTLE_RULES: SignInThrottleOptions = {
  freeFailuresPerAddress: 20,
  freeFailuresPerPair: 5,
  freeFailuresPerAccount: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
};

/** Shared by every web replica through Redis when REDIS_URL is set; per process on the embedded default. */
function createSignInThrottle(): SignInThrottle {
  const local = new MemorySignInThrottle(SIGN_IN_THROTTLE_RULES);
  const redis = getWebRedis();
  if (!redis) return local;
  const shared = new RedisSignInThrottle(redis, (...parts) => webKey("sign-in", ...parts), SIGN_IN_THROTTLE_RULES);
  return {
    retryAfterSec: (address, account) => sharedOrLocal<SignInThrottle, number>(shared, local, (throttle) => throttle.retryAfterSec(address, account)),
    recordFailure: (address, account) => sharedOrLocal<SignInThrottle, void>(shared, local, (throttle) => throttle.recordFailure(address, account)),
    recordSuccess: (address, account) => sharedOrLocal<SignInThrottle, void>(shared, local, (throttle) => throttle.recordSuccess(address, account)),
  };
}

export const signInThrottle: SignInThrottle = createSignInThrottle();
