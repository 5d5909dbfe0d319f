import { randomBytes } from "node:crypto";
import { describeStateContract } from "../contract";
import { createRedisStateCluster } from "./index";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const fastTiming = { leaseTtlMs: 1_500, heartbeatMs: 300, counterSyncMs: 20, commandTimeoutMs: 500, probeIntervalMs: 100, replyTimeoutMs: 500 };

describeStateContract("redis", () =>
  createRedisStateCluster({ url: REDIS_URL, keyPrefix: `tg-test:${randomBytes(6).toString("hex")}:`, timing: fastTiming, cleanUp: true }),
);
