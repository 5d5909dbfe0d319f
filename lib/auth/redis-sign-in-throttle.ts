// The SignInThrottle of sign-in-rate-limiter.ts counted in Redis, so every web replica sees the same
// failures, locks and known-good addresses: the same rules and numbers as MemorySignInThrottle, each step
// one atomic script, timed by Redis's clock (or a test's).
import type { Redis } from "ioredis";
import type { SignInThrottle, SignInThrottleOptions } from "./sign-in-rate-limiter";

const KNOWN_GOOD_PER_ACCOUNT = 50;
const KNOWN_GOOD_KEPT_MS = 90 * 86_400_000;

const NOW = `
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call("TIME")
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

// KEYS[1] record; ARGV now ("" = Redis's), free failures ("inf" = never locks), base ms, max ms, forget ms.
// A record counts until `forget` after its last failure (and expires then); past `free` failures it locks
// for base × 2^(extra − 1), capped at max.
const BUMP_SCRIPT = `${NOW}
local record = redis.call("HMGET", KEYS[1], "failures", "lockedUntil", "last")
local failures, lockedUntil = 1, 0
if record[3] and now - tonumber(record[3]) <= tonumber(ARGV[5]) then
  failures = tonumber(record[1]) + 1
  lockedUntil = tonumber(record[2])
end
local free = tonumber(ARGV[2])
if free then
  local extra = failures - free
  if extra > 0 then
    local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(extra - 1, 30))
    lockedUntil = math.max(lockedUntil, now + delay)
  end
end
redis.call("HSET", KEYS[1], "failures", failures, "lockedUntil", tostring(lockedUntil), "last", tostring(now))
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[5]))
return failures
`;

// KEYS[1] address record, KEYS[2] pair record, KEYS[3] the account's known-good addresses; ARGV now,
// address, forget ms. Returns the ms to wait: the address's lock, and the pair's unless the address signed
// in to the account before. A record whose last failure is older than `forget` is forgotten.
const WAIT_SCRIPT = `${NOW}
local function lockOf(key)
  local record = redis.call("HMGET", key, "lockedUntil", "last")
  if not record[2] or now - tonumber(record[2]) > tonumber(ARGV[3]) then return 0 end
  return tonumber(record[1])
end
local untilMs = lockOf(KEYS[1])
if not redis.call("ZSCORE", KEYS[3], ARGV[2]) then untilMs = math.max(untilMs, lockOf(KEYS[2])) end
return math.max(0, untilMs - now)
`;

// KEYS[1] pair record, KEYS[2] known-good set; ARGV now, address, kept, kept ms.
const SUCCESS_SCRIPT = `${NOW}
redis.call("DEL", KEYS[1])
redis.call("ZADD", KEYS[2], now, ARGV[2])
redis.call("ZREMRANGEBYRANK", KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call("PEXPIRE", KEYS[2], tonumber(ARGV[4]))
return 1
`;

export class RedisSignInThrottle implements SignInThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (...parts: string[]) => string,
    private readonly options: SignInThrottleOptions,
  ) {}

  private nowArg(): string {
    return this.options.now ? String(this.options.now()) : "";
  }

  async retryAfterSec(address: string, account: string): Promise<number> {
    const waitMs = Number(
      await this.redis.eval(WAIT_SCRIPT, 3, this.keyOf("address", address), this.keyOf("pair", address, account), this.keyOf("good", account), this.nowArg(), address, String(this.options.forgetAfterMs)),
    );
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  async recordFailure(address: string, account: string): Promise<void> {
    const bump = async (key: string, free: number) =>
      Number(
        await this.redis.eval(
          BUMP_SCRIPT,
          1,
          key,
          this.nowArg(),
          Number.isFinite(free) ? String(free) : "inf",
          String(this.options.baseDelayMs),
          String(this.options.maxDelayMs),
          String(this.options.forgetAfterMs),
        ),
      );
    const accountFailures = await bump(this.keyOf("account", account), Number.POSITIVE_INFINITY);
    const underAttack = accountFailures > this.options.freeFailuresPerAccount;
    await bump(this.keyOf("address", address), this.options.freeFailuresPerAddress);
    await bump(this.keyOf("pair", address, account), underAttack ? 0 : this.options.freeFailuresPerPair);
  }

  async recordSuccess(address: string, account: string): Promise<void> {
    await this.redis.eval(SUCCESS_SCRIPT, 2, this.keyOf("pair", address, account), this.keyOf("good", account), this.nowArg(), address, String(KNOWN_GOOD_PER_ACCOUNT), String(KNOWN_GOOD_KEPT_MS));
  }
}
