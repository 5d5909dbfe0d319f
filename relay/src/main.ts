// Entry point: `node relay/dist/main.js` in production (compiled by relay/build.mjs), `tsx relay/src/main.ts`
// in development. Reads the environment, starts the relay, and shuts down
// gracefully (going_away, 1001, final usage flush) on SIGTERM/SIGINT.
import { ConfigError, loadConfigFromEnv } from "./config";
import { createLogger } from "./log";
import { startRelay } from "./server";
import { createRedisState } from "./state/redis";
import { redisSettingsFromEnv } from "./state/redis/config";
import type { RedisSettings } from "./state/redis/config";

async function main(): Promise<void> {
  // A log reader that goes away (a collector restarting, a closed pipe: EPIPE) must not take the relay
  // and its clients down with it: the lines it would have read are dropped.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  let config;
  let redisSettings: RedisSettings | null = null;
  try {
    config = loadConfigFromEnv();
    if (config.redisUrl || config.redisClusterNodes) redisSettings = redisSettingsFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: error.message, service: "relay" })}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ base: { service: "relay", relayId: config.relayId } });
  // REDIS_URL (or REDIS_CLUSTER_NODES) selects the multi-node state; without either the relay is a single
  // node with in-memory state.
  const state = redisSettings
    ? await createRedisState({ ...(config.redisUrl ? { url: config.redisUrl } : {}), ...(config.redisClusterNodes ? { clusterNodes: config.redisClusterNodes } : {}), nodeId: config.relayId, ...redisSettings, logger })
    : undefined;
  if (state) logger.info("multi-node state through redis", { keyPrefix: redisSettings?.keyPrefix, cluster: Boolean(config.redisClusterNodes), degraded: state.health().degraded });
  const relay = await startRelay(config, { logger, defaultMetrics: true, ...(state ? { state } : {}) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    // The relay releases its leases and flushes usage first; the shared state closes after it.
    const closed = relay.close().then(() => state?.close());
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: "error", msg: "relay failed to start", error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
