// The RateLimiter of rate-limiter.ts counted in Redis, so every web replica spends from the same bucket:
// the same token bucket (continuous refill, burst) as TokenBucketLimiter, one atomic script per check,
// timed by Redis's clock (or a test's).
import type { Redis } from "ioredis";
import type { RateLimiter, TokenBucketRule } from "./rate-limiter";

// KEYS[1] bucket; ARGV rate/s, burst, spend ("1"/"0"), now in ms ("" = Redis's clock). Returns {allowed, tokens}.
const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
if not now then
  local time = redis.call("TIME")
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local state = redis.call("HMGET", KEYS[1], "tokens", "at")
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed = tokens >= 1
if ARGV[3] == "1" then
  if allowed then tokens = tokens - 1 end
  redis.call("HSET", KEYS[1], "tokens", tostring(tokens), "at", tostring(now))
  redis.call("PEXPIRE", KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
return {allowed and 1 or 0, tostring(tokens)}
`;

export class RedisTokenBucketLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (subject: string) => string,
    private readonly rule: TokenBucketRule,
    /** A test's clock; Redis's own by default. */
    private readonly now?: () => number,
  ) {}

  take(subject: string): Promise<number> {
    return this.run(subject, true);
  }

  peek(subject: string): Promise<number> {
    return this.run(subject, false);
  }

  private async run(subject: string, spend: boolean): Promise<number> {
    const [allowed, tokens] = (await this.redis.eval(
      TOKEN_BUCKET_SCRIPT,
      1,
      this.keyOf(subject),
      String(this.rule.refillPerSecond),
      String(this.rule.burst),
      spend ? "1" : "0",
      this.now ? String(this.now()) : "",
    )) as [number, string];
    if (allowed === 1) return 0;
    return Math.max(1, Math.ceil((1 - Number(tokens)) / this.rule.refillPerSecond));
  }
}
