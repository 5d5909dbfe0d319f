// The published SDK (`@metered-ca/realtime`, unchanged) against the real relay: connect with a
// token provider and with a publishable key, subscribe, publish, send, presence, errors, close codes.
import { SignallingClient } from "@metered-ca/realtime";
import type { ChannelMessage, DirectMessageEvent, PresenceEvent, SignallingClientOptions } from "@metered-ca/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, ErrorCode, Limits } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, TestClient, appFixture, eventually, firstPublishableKey, firstSecretKey, internalHeaders, mintToken, removeTempDirs, startTestRelay } from "./helpers";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
let app: SnapshotApp;
const clients: SignallingClient[] = [];

function sdkClient(options: Partial<SignallingClientOptions>): SignallingClient {
  const client = new SignallingClient({
    url: relay.url,
    webSocketFactory: (url) => new WebSocket(url),
    reconnect: false,
    ...options,
  } as SignallingClientOptions);
  clients.push(client);
  return client;
}

function tokenClient(sub: string, claims: Record<string, unknown> = {}): SignallingClient {
  return sdkClient({ tokenProvider: () => mintToken(firstSecretKey(app), { sub, claims }) });
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  app = appFixture();
  controlPlane.setApps([app]);
  relay = await startTestRelay(controlPlane);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

describe("@metered-ca/realtime SignallingClient against the relay", () => {
  it("connects, subscribes, publishes, sends and sees presence", async () => {
    const alice = tokenClient("alice", { peerMetadata: { name: "Alice" } });
    const bob = tokenClient("bob");
    const connected: Array<{ peerId: string; maxMessageSize: number }> = [];
    alice.on("connected", (e) => connected.push(e));
    const bobMessages: ChannelMessage[] = [];
    const bobDirects: DirectMessageEvent[] = [];
    const alicePresence: PresenceEvent[] = [];
    bob.on("message", (m) => bobMessages.push(m));
    bob.on("direct", (d) => bobDirects.push(d));
    alice.on("presence", (p) => alicePresence.push(p));

    await alice.connect();
    await bob.connect();
    expect(connected).toEqual([expect.objectContaining({ peerId: "alice", maxMessageSize: 65536 })]);
    await alice.subscribe("room/1");
    await bob.subscribe("room/1", { includeSenderMetadata: true });
    await eventually(() => expect(alicePresence.some((p) => p.joined.some((j) => j.peerId === "bob"))).toBe(true));

    await alice.publish("room/1", { text: "hello" });
    await eventually(() => expect(bobMessages).toEqual([{ channel: "room/1", from: "alice", data: { text: "hello" }, fromMetadata: { name: "Alice" } }]));
    await alice.send("bob", { secret: 42 });
    await eventually(() => expect(bobDirects).toEqual([{ from: "alice", data: { secret: 42 }, fromMetadata: { name: "Alice" } }]));

    await bob.unsubscribe("room/1");
    await eventually(() => expect(alicePresence.some((p) => p.left.some((l) => l.peerId === "bob"))).toBe(true));
  });

  it("connects with a publishable key and gets correlated errors as rejections", async () => {
    const client = sdkClient({ apiKey: firstPublishableKey(app).keyId });
    await client.connect();
    await client.subscribe("lobby");
    await expect(client.subscribe("_system/x")).rejects.toMatchObject({ name: ErrorCode.ChannelReserved });
    await expect(client.send("someone", 1)).rejects.toMatchObject({ name: ErrorCode.ActionNotPermitted });
    const raw = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(app))}`);
    await raw.request({ type: "subscribe", channel: "lobby" });
    await client.publish("lobby", "from-sdk");
    expect(await raw.waitFor((f) => f.type === "message")).toMatchObject({ channel: "lobby", data: "from-sdk" });
    raw.close();
  });

  it("gets a subscribe past a channel limit as a rejection named by its code, and stays connected", async () => {
    const limited = appFixture({ limits: { maxPeersPerChannel: 1, maxActiveChannels: 2 } });
    controlPlane.setApps([...controlPlane.apps, limited]);
    await relay.refreshNow();
    const client = (sub: string) => sdkClient({ tokenProvider: () => mintToken(firstSecretKey(limited), { sub }) });
    const first = client("first");
    const second = client("second");
    await first.connect();
    await second.connect();
    await first.subscribe("stage");
    await expect(second.subscribe("stage")).rejects.toMatchObject({ name: ErrorCode.ChannelFull, message: "Channel peer limit exceeded: limit 1 (peers: 1)" });
    await second.subscribe("hall");
    await expect(second.subscribe("foyer")).rejects.toMatchObject({ name: ErrorCode.ChannelQuotaExceeded, message: "Active channel limit exceeded: limit 2 (active: 2)" });
    await second.publish("stage", "still connected");
  });

  it("builds a roster of 600 peers from its pages: each presence event adds its joined peers", async () => {
    const crowdApp = appFixture({ limits: { maxConcurrentConnections: 1_000 } });
    controlPlane.setApps([...controlPlane.apps, crowdApp]);
    await relay.refreshNow();
    const crowd = Array.from({ length: 600 }, (_, i) => `crowd-${String(i).padStart(3, "0")}`);
    // Peers without the presence permission: they fill the channel and receive nothing.
    const sockets = await Promise.all(
      crowd.map(async (sub) => {
        const client = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(crowdApp), { sub, claims: { permissions: ["subscribe"] } })}`);
        await client.request({ type: "subscribe", channel: "crowd" });
        return client;
      }),
    );
    const watcher = sdkClient({ tokenProvider: () => mintToken(firstSecretKey(crowdApp), { sub: "watcher" }) });
    const roster = new Set<string>();
    let presenceEvents = 0;
    watcher.on("presence", (event) => {
      presenceEvents += 1;
      for (const peer of event.joined) roster.add(peer.peerId);
      for (const peer of event.left) roster.delete(peer.peerId);
    });
    await watcher.connect();
    await watcher.subscribe("crowd");
    await eventually(() => expect(roster.size).toBe(crowd.length), 10_000);
    expect([...roster].sort()).toEqual(crowd);
    expect(presenceEvents).toBe(Math.ceil(crowd.length / Limits.presenceRosterPagePeers));
    for (const socket of sockets) socket.close();
  }, 60_000);

  it("sees a terminal 4001 for an unknown key and a 4020 disconnect without reconnecting", async () => {
    const bad = sdkClient({ apiKey: "pk_live_doesnotexist" });
    await expect(bad.connect()).rejects.toMatchObject({ name: "SignallingConnectError", closeCode: CloseCode.InvalidToken });

    const kicked = tokenClient("kick-me");
    const disconnected: Array<{ code: number; willReconnect: boolean }> = [];
    kicked.on("disconnected", (e) => disconnected.push(e));
    await kicked.connect();
    await fetch(`${relay.httpUrl}/internal/apps/${app.appId}/peers/kick-me`, { method: "DELETE", headers: internalHeaders() });
    await eventually(() => expect(disconnected).toEqual([expect.objectContaining({ code: CloseCode.AdminDisconnect, willReconnect: false })]));
  });
});
