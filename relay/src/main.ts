// Entry point: `tsx relay/src/main.ts`. Reads the environment, starts the relay, and shuts down
// gracefully (going_away, 1001, final usage flush) on SIGTERM/SIGINT.
import { ConfigError, loadConfigFromEnv } from "./config";
import { createLogger } from "./log";
import { startRelay } from "./server";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: error.message, service: "relay" })}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ base: { service: "relay", relayId: config.relayId } });
  if (config.redisUrl) logger.warn("REDIS_URL is set but multi-node state is not implemented yet; using in-memory state");
  const relay = await startRelay(config, { logger, defaultMetrics: true });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    relay.close().then(
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
