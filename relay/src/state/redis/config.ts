// Multi-node settings from the environment, validated once at startup (STYLE habit 3). Only read when
// REDIS_URL or REDIS_CLUSTER_NODES is set; every timer has a production default and tests shorten them.
import { z } from "zod";
import { ConfigError } from "../../config";
import { PLAN_CHANGE_CHANNEL } from "../../protocol";
import { defaultRedisTiming } from "./index";
import type { RedisStateTiming } from "./index";

const ms = (fallback: number) => z.coerce.number().int().min(10).max(600_000).default(fallback);

const redisEnvSchema = z
  .object({
    // Braces would change the keys' cluster hash tags (one slot per app and per node).
    REDIS_KEY_PREFIX: z.string().min(1).max(100).regex(/^[^{}]*$/, "must not contain { or }").default("tollgate:"),
    REDIS_PLAN_CHANGE_CHANNEL: z.string().min(1).default(PLAN_CHANGE_CHANNEL),
    REDIS_LEASE_TTL_MS: ms(defaultRedisTiming.leaseTtlMs),
    REDIS_HEARTBEAT_MS: ms(defaultRedisTiming.heartbeatMs),
    REDIS_COUNTER_SYNC_MS: ms(defaultRedisTiming.counterSyncMs),
    REDIS_COMMAND_TIMEOUT_MS: ms(defaultRedisTiming.commandTimeoutMs),
    REDIS_PROBE_INTERVAL_MS: ms(defaultRedisTiming.probeIntervalMs),
    REDIS_REPLY_TIMEOUT_MS: ms(defaultRedisTiming.replyTimeoutMs),
  })
  // Two heartbeats must fit in one TTL, or a healthy node's leases could lapse between beats.
  .refine((env) => env.REDIS_HEARTBEAT_MS * 2 <= env.REDIS_LEASE_TTL_MS, {
    message: "must be at most half of REDIS_LEASE_TTL_MS",
    path: ["REDIS_HEARTBEAT_MS"],
  });

export interface RedisSettings {
  keyPrefix: string;
  planChangeChannel: string;
  timing: RedisStateTiming;
}

/** Parses the REDIS_* variables; throws a ConfigError naming every invalid one. */
export function redisSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisSettings {
  const parsed = redisEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid relay configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    keyPrefix: e.REDIS_KEY_PREFIX,
    planChangeChannel: e.REDIS_PLAN_CHANGE_CHANNEL,
    timing: {
      leaseTtlMs: e.REDIS_LEASE_TTL_MS,
      heartbeatMs: e.REDIS_HEARTBEAT_MS,
      counterSyncMs: e.REDIS_COUNTER_SYNC_MS,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      probeIntervalMs: e.REDIS_PROBE_INTERVAL_MS,
      replyTimeoutMs: e.REDIS_REPLY_TIMEOUT_MS,
    },
  };
}
