// One relay node of a multi-node test or benchmark, as its own process: the relay's config from the
// environment, Redis state (REDIS_URL + REDIS_*), and plan-change notices refreshing the plan cache.
import { loadConfigFromEnv } from "../../src/config";
import { createLogger } from "../../src/log";
import { startRelay } from "../../src/server";
import { createRedisState } from "../../src/state/redis";
import { redisSettingsFromEnv } from "../../src/state/redis/config";
import { refreshOnNotice } from "../../src/state/redis/plan-change";

const config = loadConfigFromEnv();
const redisUrl = config.redisUrl;
if (!redisUrl) throw new Error("REDIS_URL is required");
const settings = redisSettingsFromEnv();
const logger = createLogger({ base: { service: "relay", relayId: config.relayId } });
const state = await createRedisState({ url: redisUrl, nodeId: config.relayId, keyPrefix: settings.keyPrefix, planChangeChannel: settings.planChangeChannel, timing: settings.timing, logger });
const relay = await startRelay(config, { state, logger });
state.onPlanChange(refreshOnNotice(() => relay.refreshNow()));
const stop = () => {
  relay
    .close()
    .then(() => state.close())
    .then(() => process.exit(0), () => process.exit(1));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
