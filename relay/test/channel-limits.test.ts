// Channel limits on one relay node (PROTOCOL §10): maxPeersPerChannel refuses the subscribe of one peer
// too many with `channel_full`, maxActiveChannels the subscribe that would open one channel too many
// with `channel_quota_exceeded`; the connection stays, a refused subscriber hears nothing of the
// channel, and a place freed by a leave is usable again at once. Wildcard subscriptions occupy nothing.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ErrorCode, RelayInternalPath, relayStatsResponseSchema } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, internalHeaders, mintToken, sleep } from "./helpers";
import { relayPerFile } from "./relay-per-file";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const openClients = relayPerFile((running) => ({ controlPlane, relay } = running));

async function addApp(limits: Partial<SnapshotApp["limits"]>): Promise<SnapshotApp> {
  const app = appFixture({ limits });
  controlPlane.setApps([...controlPlane.apps, app]);
  await relay.refreshNow();
  return app;
}

async function connect(app: SnapshotApp, sub: string): Promise<TestClient> {
  const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app), { sub })}`);
  openClients.push(client);
  return client;
}

async function stillOpen(client: TestClient): Promise<void> {
  const pongs = client.framesOf("pong").length;
  client.send({ type: "ping" });
  await client.waitFor(() => client.framesOf("pong").length > pongs);
  expect(client.ws.readyState).toBe(WebSocket.OPEN);
}

/** The app's usage deltas the control plane received. */
function appDeltas(appId: string) {
  return controlPlane.batches.flatMap((batch) => batch.apps).filter((entry) => entry.appId === appId);
}

/** The refused subscribes the control plane received in the app's usage batches, by code. */
function refusedSubscribes(appId: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const delta of appDeltas(appId)) {
    for (const [code, count] of Object.entries(delta.refusedSubscribes)) totals[code] = (totals[code] ?? 0) + count;
  }
  return totals;
}

const joinedPeers = (client: TestClient) => client.framesOf("presence").flatMap((f) => (f.joined as Array<{ peerId: string }>).map((p) => p.peerId));

describe("maxPeersPerChannel", () => {
  it("admits N distinct peers, refuses the N+1th with channel_full (connection stays), and lets a new one in after one leaves", async () => {
    const app = await addApp({ maxPeersPerChannel: 3 });
    const p1 = await connect(app, "p1");
    const p2 = await connect(app, "p2");
    const p3 = await connect(app, "p3");
    const p4 = await connect(app, "p4");
    for (const client of [p1, p2, p3]) expect((await client.request({ type: "subscribe", channel: "room" })).type).toBe("ack");
    // A second connection of a present peer is not a new peer.
    const p1Again = await connect(app, "p1");
    expect((await p1Again.request({ type: "subscribe", channel: "room" })).type).toBe("ack");

    const refused = await p4.request({ type: "subscribe", channel: "room" });
    expect(refused).toMatchObject({ type: "error", code: ErrorCode.ChannelFull });
    expect(refused.message).toMatch(/limit 3\b/);
    await stillOpen(p4);
    // The refused peer hears nothing of the channel, and nobody hears of it.
    expect((await p1.request({ type: "publish", channel: "room", data: "hello" })).type).toBe("ack");
    await p2.waitFor((f) => f.type === "message" && f.data === "hello");
    await sleep(50);
    expect(p4.framesOf("message")).toEqual([]);
    expect(joinedPeers(p1)).not.toContain("p4");
    // Other channels are not affected.
    expect((await p4.request({ type: "subscribe", channel: "lobby" })).type).toBe("ack");

    p2.close();
    await p1.waitFor((f) => f.type === "presence" && (f.left as Array<{ peerId: string }>).some((p) => p.peerId === "p2"));
    expect((await p4.request({ type: "subscribe", channel: "room" })).type).toBe("ack");
    const roster = await p4.waitFor((f) => f.type === "presence" && f.channel === "room");
    expect((roster.joined as Array<{ peerId: string }>).map((p) => p.peerId)).toEqual(["p1", "p3"]);
    await p1.waitFor((f) => f.type === "presence" && (f.joined as Array<{ peerId: string }>).some((p) => p.peerId === "p4"));
    // Full again: a fifth peer is refused.
    const p5 = await connect(app, "p5");
    expect(await p5.request({ type: "subscribe", channel: "room" })).toMatchObject({ code: ErrorCode.ChannelFull });
    // Refusals reach the control plane with the usage, for the app's alerts.
    await relay.flushUsage();
    expect(refusedSubscribes(app.appId)).toEqual({ [ErrorCode.ChannelFull]: 2 });
  });

  it("a wildcard subscription occupies no channel and still receives the channel's messages", async () => {
    const app = await addApp({ maxPeersPerChannel: 1, maxActiveChannels: 1 });
    const member = await connect(app, "member");
    const watcher = await connect(app, "watcher");
    expect((await member.request({ type: "subscribe", channel: "rooms/a" })).type).toBe("ack");
    expect((await watcher.request({ type: "subscribe", channel: "rooms/*" })).type).toBe("ack");
    expect((await watcher.request({ type: "subscribe", channel: "**" })).type).toBe("ack");
    expect(await watcher.request({ type: "subscribe", channel: "rooms/a" })).toMatchObject({ code: ErrorCode.ChannelFull });
    expect((await member.request({ type: "publish", channel: "rooms/a", data: 1 })).type).toBe("ack");
    await watcher.waitFor((f) => f.type === "message" && f.channel === "rooms/a");
  });
});

describe("maxActiveChannels", () => {
  it("refuses the subscribe that would open one channel too many with channel_quota_exceeded, and counts channels, not subscribers", async () => {
    const app = await addApp({ maxActiveChannels: 2 });
    const a = await connect(app, "a");
    const b = await connect(app, "b");
    expect((await a.request({ type: "subscribe", channel: "ch-1" })).type).toBe("ack");
    expect((await b.request({ type: "subscribe", channel: "ch-2" })).type).toBe("ack");
    const refused = await a.request({ type: "subscribe", channel: "ch-3" });
    expect(refused).toMatchObject({ type: "error", code: ErrorCode.ChannelQuotaExceeded, message: "Active channel limit exceeded: limit 2 (active: 2)" });
    await stillOpen(a);
    // Joining an active channel opens nothing.
    expect((await b.request({ type: "subscribe", channel: "ch-1" })).type).toBe("ack");
    const stats = relayStatsResponseSchema.parse(await (await fetch(relay.httpUrl + RelayInternalPath.stats(app.appId), { headers: internalHeaders() })).json());
    expect(stats.nodes[0]).toMatchObject({ activeChannels: 2, appActiveChannels: 2 });

    expect((await a.request({ type: "unsubscribe", channel: "ch-1" })).type).toBe("ack");
    expect(await a.request({ type: "subscribe", channel: "ch-3" })).toMatchObject({ code: ErrorCode.ChannelQuotaExceeded });
    // The channel's last subscriber leaving frees it.
    await relay.flushUsage();
    expect(refusedSubscribes(app.appId)).toEqual({ [ErrorCode.ChannelQuotaExceeded]: 2 });
    // The peak of active channels goes with the usage too (the app's 75 / 90 / 100 % alerts).
    expect(Math.max(...appDeltas(app.appId).map((delta) => delta.peakActiveChannels))).toBe(2);
    b.close();
    await eventually(async () => expect((await a.request({ type: "subscribe", channel: "ch-3" })).type).toBe("ack"));
  });

  it("follows the app's current plan: a raised limit admits more at once, a lowered one drops nobody", async () => {
    const app = await addApp({ maxActiveChannels: 1 });
    const client = await connect(app, "solo");
    expect((await client.request({ type: "subscribe", channel: "one" })).type).toBe("ack");
    expect(await client.request({ type: "subscribe", channel: "two" })).toMatchObject({ code: ErrorCode.ChannelQuotaExceeded });
    controlPlane.setApps(controlPlane.apps.map((held) => (held.appId === app.appId ? { ...held, limits: { ...held.limits, maxActiveChannels: 3 } } : held)));
    await relay.refreshNow();
    expect((await client.request({ type: "subscribe", channel: "two" })).type).toBe("ack");
    controlPlane.setApps(controlPlane.apps.map((held) => (held.appId === app.appId ? { ...held, limits: { ...held.limits, maxActiveChannels: 1 } } : held)));
    await relay.refreshNow();
    expect(await client.request({ type: "subscribe", channel: "three" })).toMatchObject({ message: "Active channel limit exceeded: limit 1 (active: 2)" });
    expect((await client.request({ type: "publish", channel: "two", data: 1 })).type).toBe("ack");
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });
});
