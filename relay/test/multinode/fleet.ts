// What every multi-node test starts: a Redis (standalone or Cluster), a fake control plane and relay
// processes sharing them, stopped in the reverse order; and the wait until every node holds an app.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { RelayInternalPath } from "../../src/protocol";
import { FakeControlPlane, RELAY_SECRET, eventually, internalHeaders } from "../helpers";
import { RelayCluster } from "./cluster";
import type { RelayNode } from "./cluster";
import type { TestRedis } from "./test-redis";

export interface RelayFleet {
  redis: TestRedis;
  controlPlane: FakeControlPlane;
  cluster: RelayCluster;
  nodes: RelayNode[];
}

/** Starts `redis`, a control plane and `nodeCount` relays (keys under a fresh prefix); on a failure, stops what started. */
export async function startRelayFleet(redis: TestRedis, options: { keyPrefix: string; env: Record<string, string>; nodeCount?: number }): Promise<RelayFleet> {
  const started: Partial<RelayFleet> = { redis };
  try {
    await redis.start();
    const controlPlane = await new FakeControlPlane().start();
    started.controlPlane = controlPlane;
    const cluster = new RelayCluster({
      controlPlaneUrl: controlPlane.url,
      relaySecret: RELAY_SECRET,
      keyPrefix: `${options.keyPrefix}:${randomBytes(4).toString("hex")}:`,
      env: { ...options.env, ...redis.relayEnv() },
    });
    started.cluster = cluster;
    return { redis, controlPlane, cluster, nodes: await cluster.start(options.nodeCount ?? 3) };
  } catch (error) {
    await stopRelayFleet(started);
    throw error;
  }
}

export async function stopRelayFleet(fleet: Partial<RelayFleet>): Promise<void> {
  await fleet.cluster?.stop();
  await fleet.controlPlane?.stop();
  await fleet.redis?.stop();
}

/** Waits until every node holds the app (its stats answer). */
export async function everyNodeHolds(nodes: RelayNode[], appId: string, timeoutMs: number): Promise<void> {
  await eventually(async () => {
    for (const relay of nodes) expect((await fetch(relay.httpUrl + RelayInternalPath.stats(appId), { headers: internalHeaders() })).status).toBe(200);
  }, timeoutMs);
}
