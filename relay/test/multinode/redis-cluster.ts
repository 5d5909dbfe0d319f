// A private Redis Cluster of three masters (no replicas) from the machine's redis-server, on free
// loopback ports, for the tests and benchmarks that must hold on a cluster as on a single Redis. Like
// PrivateRedis it can be frozen and restarted: a restart keeps each node's cluster config file (its
// slots) but, without persistence, loses every key.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { PrivateRedis } from "./redis-server";

const run = promisify(execFile);
const MASTERS = 3;
const READY_TIMEOUT_MS = 20_000;

export class PrivateRedisCluster {
  readonly servers = Array.from({ length: MASTERS }, () => new PrivateRedis(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"]));

  /** The seed nodes, as REDIS_CLUSTER_NODES lists them. */
  get nodes(): string[] {
    return this.servers.map((server) => `127.0.0.1:${server.port}`);
  }

  get pids(): number[] {
    return this.servers.map((server) => server.pid).filter((pid): pid is number => pid !== undefined);
  }

  async start(): Promise<this> {
    await Promise.all(this.servers.map((server) => server.start()));
    await run("redis-cli", ["--cluster", "create", ...this.nodes, "--cluster-replicas", "0", "--cluster-yes"]);
    await this.waitUntilServing();
    return this;
  }

  /** Until every node says the cluster is ok and a cluster client can write. */
  private async waitUntilServing(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(
        this.servers.map(async (server) => {
          const client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
          client.on("error", () => undefined);
          try {
            return String(await client.cluster("INFO")).includes("cluster_state:ok");
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error("redis cluster did not become ready");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A client for the test's own commands. */
  client(): Cluster {
    return new Cluster(this.servers.map((server) => ({ host: "127.0.0.1", port: server.port })));
  }

  freeze(): void {
    for (const server of this.servers) server.freeze();
  }

  thaw(): void {
    for (const server of this.servers) server.thaw();
  }

  /** Restarts every node on its port with an empty dataset; the cluster forms again from the config files. */
  async restart(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.kill()));
    await Promise.all(this.servers.map((server) => server.start()));
    await this.waitUntilServing();
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }
}
