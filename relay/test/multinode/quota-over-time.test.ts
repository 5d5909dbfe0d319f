// The quota over time on three relay processes sharing a private redis-server (and again a private
// Redis Cluster): steady traffic from
// clients on every node across many usage flushes (200 ms) and app-state refreshes (500 ms) gets the
// quota accepted within the documented bound (README "Several relay nodes"), and over-cap
// connections on a paid plan stop where the balance runs out, within the same kind of bound.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol";
import type { SnapshotApp } from "../../src/protocol";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, mintToken, sleep } from "../helpers";
import { publishSteadily } from "../steady-traffic";
import { RelayCluster } from "./cluster";
import type { RelayNode } from "./cluster";
import { testRedisBackends } from "./test-redis";
import type { TestRedis } from "./test-redis";
import { everyNodeHolds, startRelayFleet, stopRelayFleet } from "./fleet";

const COUNTER_SYNC_MS = 50;
const USAGE_FLUSH_MS = 200;
const PLAN_CACHE_REFRESH_MS = 500;

let redis: TestRedis;
let controlPlane: FakeControlPlane;
let cluster: RelayCluster;
let nodes: RelayNode[] = [];

async function startNodes(backend: TestRedis): Promise<void> {
  ({ redis, controlPlane, cluster, nodes } = await startRelayFleet(backend, {
    keyPrefix: "tg-quota",
    env: {
      PLAN_CACHE_REFRESH_MS: String(PLAN_CACHE_REFRESH_MS),
      USAGE_FLUSH_MS: String(USAGE_FLUSH_MS),
      REDIS_COUNTER_SYNC_MS: String(COUNTER_SYNC_MS),
      REDIS_PLAN_CHANGE_CHANNEL: `tg-quota:${process.pid}:${randomBytes(4).toString("hex")}:plan-changes`,
    },
  }));
}

const stopNodes = () => stopRelayFleet({ redis, controlPlane, cluster });

/** Registers an app and waits until every node's periodic refresh has it. */
async function addApp(app: SnapshotApp): Promise<void> {
  controlPlane.setApps([...controlPlane.apps, app]);
  await everyNodeHolds(nodes, app.appId, 5_000);
}

async function connect(relay: RelayNode, app: SnapshotApp): Promise<TestClient> {
  const client = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app))}`);
  await client.waitFor((f) => f.type === "welcome", 10_000);
  return client;
}

describe.each(testRedisBackends)("three nodes through $name", ({ create }) => {
  beforeAll(() => startNodes(create()), 60_000);
  afterAll(() => stopNodes(), 30_000);

  describe("the message quota under steady traffic on three nodes", () => {
    it("accepts the quota within one counter sync of traffic, across many flushes and app-state refreshes", async () => {
      const quota = 600;
      const app = appFixture({ limits: { maxMessagesPerPeriod: quota } });
      await addApp(app);
      // Two clients per node, 40 publishes/s each: 240/s, about 2.5 times the quota over 6 s.
      const clients = await Promise.all(nodes.flatMap((relay) => [connect(relay, app), connect(relay, app)]));
      const flushesBefore = controlPlane.attemptedBatchIds.length;
      const statesBefore = controlPlane.appStateRequests;
      const startedAtMs = Date.now();
      const crossed = () => ({ flushes: controlPlane.attemptedBatchIds.length - flushesBefore, refreshes: controlPlane.appStateRequests - statesBefore });
      // The app changes in the feed at every poll, so each poll asks for its state (and usage baseline) again.
      const changing = setInterval(() => controlPlane.update(app.appId, () => undefined), PLAN_CACHE_REFRESH_MS);
      const tally = await publishSteadily(clients, {
        ratePerSecond: 40,
        durationMs: 6_000,
        keepGoing: () => crossed().flushes < 3 * 10 || crossed().refreshes < 3 * 5,
      }).finally(() => clearInterval(changing));
      const elapsedMs = Date.now() - startedAtMs;
      expect(crossed().flushes).toBeGreaterThanOrEqual(3 * 10);
      expect(crossed().refreshes).toBeGreaterThanOrEqual(3 * 5);
      expect(tally.other).toBe(0);
      expect(tally.accepted + tally.refused).toBe(tally.sent);
      // The documented bound: one counter sync interval of the app's traffic, plus 1 % of the quota.
      const bound = Math.ceil((tally.sent / elapsedMs) * COUNTER_SYNC_MS + 0.01 * quota);
      expect(tally.accepted).toBeLessThanOrEqual(quota + bound);
      expect(tally.accepted).toBeGreaterThanOrEqual(quota - bound);
      // The control plane recorded exactly what the clients saw.
      await eventually(() => expect(controlPlane.applied(app.appId)).toMatchObject({ messagesAccepted: tally.accepted, softDrops: tally.refused }), 5_000);
      for (const client of clients) client.close();
    });
  });

  describe("over-cap connections on a paid plan, churning on three nodes", () => {
    it("admits about as many overage connections as the balance pays for, and bills exactly those", async () => {
      const price = 10;
      const affordable = 9;
      const cap = 3;
      const app = appFixture({
        limits: { maxConcurrentConnections: cap },
        billing: { overagesAllowed: true, overagesEnabled: true, balanceMinor: affordable * price, overagePricePerConnectionMinor: price },
      });
      await addApp(app);
      const holders = await Promise.all(nodes.map((relay) => connect(relay, app)));
      let admitted = 0;
      const visits: Array<Promise<void>> = [];
      const token = await mintToken(firstSecretKey(app));
      // One over-cap attempt every 150 ms, round-robin over the nodes, for about 6 s.
      for (let attempt = 0; attempt < 40; attempt++) {
        const relay = nodes[attempt % nodes.length];
        if (!relay) continue;
        const client = new TestClient(`${relay.url}/v1?token=${token}`);
        visits.push(
          Promise.race([client.waitFor((f) => f.type === "welcome", 10_000).then(() => true), client.closed.then(() => false)]).then(async (welcomed) => {
            if (!welcomed) {
              expect(client.closeCode).toBe(CloseCode.OverConcurrentLimit);
              return;
            }
            admitted += 1;
            await sleep(300);
            client.close();
          }),
        );
        await sleep(150);
      }
      await Promise.all(visits);
      // Each node spends from the balance it knows; another node's spend shows up at its next acknowledgement.
      expect(admitted).toBeGreaterThanOrEqual(affordable);
      expect(admitted).toBeLessThanOrEqual(affordable + nodes.length);
      await eventually(() => expect(controlPlane.applied(app.appId).overageConnections).toBe(admitted), 5_000);
      for (const client of holders) client.close();
    });
  });
});
