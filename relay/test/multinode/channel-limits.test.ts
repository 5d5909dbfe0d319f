// Channel limits on three relay processes sharing a private redis-server (and again a private Redis
// Cluster): subscribes racing on every node at once. The documented bound (docs/PROTOCOL.md §10): while
// the shared state is reachable the limits are exact across nodes (the check is inside the atomic
// presence join), so the overshoot is zero.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RelayInternalPath, channelPeersResponseSchema, relayStatsResponseSchema } from "../../src/protocol";
import type { SnapshotApp } from "../../src/protocol";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, internalHeaders, mintToken } from "../helpers";
import type { Frame } from "../helpers";
import { RelayCluster } from "./cluster";
import type { RelayNode } from "./cluster";
import { testRedisBackends } from "./test-redis";
import type { TestRedis } from "./test-redis";
import { everyNodeHolds, startRelayFleet, stopRelayFleet } from "./fleet";

let redis: TestRedis;
let controlPlane: FakeControlPlane;
let cluster: RelayCluster;
let nodes: RelayNode[] = [];

async function startNodes(backend: TestRedis): Promise<void> {
  ({ redis, controlPlane, cluster, nodes } = await startRelayFleet(backend, { keyPrefix: "tg-channels", env: { PLAN_CACHE_REFRESH_MS: "500" } }));
}

const stopNodes = () => stopRelayFleet({ redis, controlPlane, cluster });

/** Registers an app and waits until every node has it. */
async function addApp(app: SnapshotApp): Promise<void> {
  controlPlane.setApps([...controlPlane.apps, app]);
  await everyNodeHolds(nodes, app.appId, 5_000);
}

async function connect(relay: RelayNode, app: SnapshotApp, sub: string): Promise<TestClient> {
  const client = new TestClient(`${relay.url}/v1?token=${await mintToken(firstSecretKey(app), { sub })}`);
  await client.waitFor((f) => f.type === "welcome", 10_000);
  return client;
}

const nodeOf = (index: number): RelayNode => {
  const relay = nodes[index % nodes.length];
  if (!relay) throw new Error("no relay node");
  return relay;
};

describe.each(testRedisBackends)("channel limits on three nodes through $name", ({ create }) => {
  beforeAll(() => startNodes(create()), 60_000);
  afterAll(() => stopNodes(), 30_000);

  it("maxPeersPerChannel: of 15 peers subscribing at once on three nodes exactly the limit get in; a freed place goes to a peer on another node", async () => {
    const limit = 5;
    const app = appFixture({ limits: { maxPeersPerChannel: limit } });
    await addApp(app);
    const clients = await Promise.all(Array.from({ length: 15 }, (_, i) => connect(nodeOf(i), app, `peer-${i}`)));
    const answers = await Promise.all(clients.map((client) => client.request({ type: "subscribe", channel: "room" }, 10_000)));
    const admitted = clients.filter((_, i) => answers[i]?.type === "ack");
    const refused = clients.filter((_, i) => answers[i]?.type !== "ack");
    expect(admitted).toHaveLength(limit);
    for (const answer of answers.filter((a): a is Frame => a.type !== "ack")) expect(answer).toMatchObject({ code: ErrorCode.ChannelFull });
    const peers = channelPeersResponseSchema.parse(await (await fetch(nodeOf(2).httpUrl + RelayInternalPath.channelPeers(app.appId, "room"), { headers: internalHeaders() })).json());
    expect(peers.peers).toHaveLength(limit);

    // The same peer on another node counts once.
    const leaving = admitted[0];
    const leavingIndex = clients.indexOf(leaving as TestClient);
    const twin = await connect(nodeOf(leavingIndex + 1), app, `peer-${leavingIndex}`);
    expect((await twin.request({ type: "subscribe", channel: "room" })).type).toBe("ack");
    twin.close();
    leaving?.close();
    const waiting = refused.find((client) => clients.indexOf(client) % 3 !== leavingIndex % 3);
    await eventually(async () => expect((await waiting?.request({ type: "subscribe", channel: "room" }))?.type).toBe("ack"), 5_000);
    const others = refused.filter((client) => client !== waiting);
    expect(await others[0]?.request({ type: "subscribe", channel: "room" })).toMatchObject({ code: ErrorCode.ChannelFull });
    for (const client of clients) client.close();
  });

  it("maxActiveChannels: of 12 channels opened at once on three nodes exactly the limit open, and every node counts them alike", async () => {
    const limit = 4;
    const app = appFixture({ limits: { maxActiveChannels: limit } });
    await addApp(app);
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => connect(nodeOf(i), app, `opener-${i}`)));
    const answers = await Promise.all(clients.map((client, i) => client.request({ type: "subscribe", channel: `ch-${i}` }, 10_000)));
    expect(answers.filter((answer) => answer.type === "ack")).toHaveLength(limit);
    for (const answer of answers.filter((a) => a.type !== "ack")) expect(answer.message).toBe(`Active channel limit exceeded: limit ${limit} (active: ${limit})`);
    for (const relay of nodes) {
      const stats = relayStatsResponseSchema.parse(await (await fetch(relay.httpUrl + RelayInternalPath.stats(app.appId), { headers: internalHeaders() })).json());
      expect(stats.nodes[0]?.appActiveChannels).toBe(limit);
      expect(stats.nodes.reduce((sum, report) => sum + report.activeChannels, 0)).toBe(limit);
    }
    for (const client of clients) client.close();
  });
});
