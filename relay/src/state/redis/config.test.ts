import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config";
import { redisSettingsFromEnv } from "./config";
import { PLAN_CHANGE_CHANNEL } from "../../protocol";
import { defaultRedisTiming } from "./index";

describe("redisSettingsFromEnv", () => {
  it("defaults to the production timers, the tollgate: prefix and the control plane's notice channel", () => {
    expect(redisSettingsFromEnv({})).toEqual({ keyPrefix: "tollgate:", planChangeChannel: PLAN_CHANGE_CHANNEL, timing: defaultRedisTiming });
  });

  it("reads every REDIS_* timer", () => {
    const settings = redisSettingsFromEnv({
      REDIS_KEY_PREFIX: "tg-a:",
      REDIS_LEASE_TTL_MS: "3000",
      REDIS_HEARTBEAT_MS: "1000",
      REDIS_COUNTER_SYNC_MS: "50",
      REDIS_COMMAND_TIMEOUT_MS: "300",
      REDIS_PROBE_INTERVAL_MS: "100",
      REDIS_REPLY_TIMEOUT_MS: "400",
    });
    expect(settings.keyPrefix).toBe("tg-a:");
    expect(settings.timing).toEqual({ leaseTtlMs: 3000, heartbeatMs: 1000, counterSyncMs: 50, commandTimeoutMs: 300, probeIntervalMs: 100, replyTimeoutMs: 400 });
  });

  it("names the variable when a value is invalid or a heartbeat could let leases lapse", () => {
    expect(() => redisSettingsFromEnv({ REDIS_COUNTER_SYNC_MS: "soon" })).toThrow(ConfigError);
    expect(() => redisSettingsFromEnv({ REDIS_COUNTER_SYNC_MS: "soon" })).toThrow(/REDIS_COUNTER_SYNC_MS/);
    expect(() => redisSettingsFromEnv({ REDIS_LEASE_TTL_MS: "1000", REDIS_HEARTBEAT_MS: "800" })).toThrow(/REDIS_HEARTBEAT_MS: must be at most half of REDIS_LEASE_TTL_MS/);
    // A brace in the prefix would move keys out of their app's cluster slot.
    expect(() => redisSettingsFromEnv({ REDIS_KEY_PREFIX: "tg{x}:" })).toThrow(/REDIS_KEY_PREFIX/);
  });
});
