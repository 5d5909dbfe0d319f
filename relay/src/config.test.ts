import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigFromEnv } from "./config";
import { socketBudget } from "./enforcement/socket-budget";

const secret = "s".repeat(32);

describe("relay configuration from the environment", () => {
  it("applies the documented defaults", () => {
    const config = loadConfigFromEnv({ RELAY_SECRET: secret });
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      controlPlaneUrl: "http://127.0.0.1:3000",
      planCacheRefreshMs: 60_000,
      usageFlushMs: 10_000,
      dataDir: ".data/relay",
      trustedProxies: [],
      connectRatePerIp: 60,
      connectRateWindowMs: 60_000,
    });
    expect(config.relayId).toContain(String(process.pid));
  });

  it("parses values and lists", () => {
    const config = loadConfigFromEnv({ RELAY_SECRET: secret, RELAY_PORT: "0", TRUSTED_PROXIES: " 10.0.0.1, ::1 ,", USAGE_FLUSH_MS: "60000", RELAY_ID: "node-a" });
    expect(config.port).toBe(0);
    expect(config.trustedProxies).toEqual(["10.0.0.1", "::1"]);
    expect(config.usageFlushMs).toBe(60_000);
    expect(config.relayId).toBe("node-a");
  });

  it("reads a Redis Cluster's seed nodes and refuses a list that is not host:port", () => {
    expect(loadConfigFromEnv({ RELAY_SECRET: secret }).redisClusterNodes).toBeUndefined();
    expect(loadConfigFromEnv({ RELAY_SECRET: secret, REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,redis://redis-c:7002" }).redisClusterNodes).toEqual([
      "10.0.0.1:7000",
      "redis-b:7001",
      "redis://redis-c:7002",
    ]);
    expect(() => loadConfigFromEnv({ RELAY_SECRET: secret, REDIS_CLUSTER_NODES: "10.0.0.1" })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  it("takes the node-wide socket caps from the open-file limit unless set", () => {
    const budget = socketBudget();
    expect(loadConfigFromEnv({ RELAY_SECRET: secret })).toMatchObject({ maxConnections: budget.maxConnections, maxPendingConnections: budget.maxPendingConnections });
    expect(loadConfigFromEnv({ RELAY_SECRET: secret, RELAY_MAX_CONNECTIONS: "100", RELAY_MAX_PENDING_CONNECTIONS: "50" })).toMatchObject({ maxConnections: 100, maxPendingConnections: 50 });
  });

  it("refuses socket caps that would use up the open-file limit", () => {
    const { openFileLimit } = socketBudget();
    expect(() => loadConfigFromEnv({ RELAY_SECRET: secret, RELAY_MAX_CONNECTIONS: String(openFileLimit) })).toThrow(/RELAY_MAX_CONNECTIONS.*RELAY_MAX_PENDING_CONNECTIONS.*open-file limit/);
  });

  it.each([
    [{}, "RELAY_SECRET"],
    [{ RELAY_SECRET: "short" }, "RELAY_SECRET"],
    [{ RELAY_SECRET: secret, USAGE_FLUSH_MS: "60001" }, "USAGE_FLUSH_MS"],
    [{ RELAY_SECRET: secret, RELAY_PORT: "http" }, "RELAY_PORT"],
    [{ RELAY_SECRET: secret, CONTROL_PLANE_URL: "not a url" }, "CONTROL_PLANE_URL"],
    [{ RELAY_SECRET: secret, CONNECT_RATE_PER_IP: "0" }, "CONNECT_RATE_PER_IP"],
    [{ RELAY_SECRET: secret, RELAY_MAX_CONNECTIONS: "0" }, "RELAY_MAX_CONNECTIONS"],
    [{ RELAY_SECRET: secret, RELAY_MAX_PENDING_CONNECTIONS: "many" }, "RELAY_MAX_PENDING_CONNECTIONS"],
  ])("fails naming the variable (%j)", (env, variable) => {
    expect(() => loadConfigFromEnv(env)).toThrow(ConfigError);
    expect(() => loadConfigFromEnv(env)).toThrow(variable);
  });
});
