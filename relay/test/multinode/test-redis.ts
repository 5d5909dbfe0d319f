// The two shapes of Redis the multi-node guarantees must hold on: a standalone server and a
// three-master cluster. Suites run once per backend (`describe.each(testRedisBackends)`).
import { Redis } from "ioredis";
import type { Cluster } from "ioredis";
import { PrivateRedisCluster } from "./redis-cluster";
import { PrivateRedis } from "./redis-server";

export interface TestRedis {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  freeze(): void;
  thaw(): void;
  restart(): Promise<void>;
  /** The environment that points a relay at it. */
  relayEnv(): Record<string, string>;
  /** Where the state (createRedisState) finds it. */
  stateTarget(): { url: string } | { clusterNodes: string[] };
  /** A client for the test's own commands (the caller disconnects it). */
  client(): Redis | Cluster;
  /** Its redis-server processes (CPU accounting). */
  pids(): number[];
}

class StandaloneTestRedis implements TestRedis {
  private readonly server = new PrivateRedis();
  start = () => this.server.start();
  stop = () => this.server.stop();
  freeze = () => this.server.freeze();
  thaw = () => this.server.thaw();
  restart = () => this.server.restart();
  relayEnv = () => ({ REDIS_URL: this.server.url });
  stateTarget = () => ({ url: this.server.url });
  client = () => new Redis(this.server.url);
  pids = () => (this.server.pid === undefined ? [] : [this.server.pid]);
}

class ClusterTestRedis implements TestRedis {
  private readonly cluster = new PrivateRedisCluster();
  start = () => this.cluster.start();
  stop = () => this.cluster.stop();
  freeze = () => this.cluster.freeze();
  thaw = () => this.cluster.thaw();
  restart = () => this.cluster.restart();
  // A cluster client discovers the topology (CLUSTER SLOTS) under the command timeout too: a suite's
  // shortened 300 ms is too tight for that on a loaded machine (the node would start degraded).
  relayEnv = () => ({ REDIS_CLUSTER_NODES: this.cluster.nodes.join(","), REDIS_COMMAND_TIMEOUT_MS: "1000" });
  stateTarget = () => ({ clusterNodes: this.cluster.nodes });
  client = () => this.cluster.client();
  pids = () => this.cluster.pids;
}

export const testRedisBackends: Array<{ name: string; create: () => TestRedis }> = [
  { name: "a single Redis", create: () => new StandaloneTestRedis() },
  { name: "a Redis Cluster", create: () => new ClusterTestRedis() },
];
