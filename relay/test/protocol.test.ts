// The wire protocol (PROTOCOL §1–§5) over real sockets: connecting, every frame, presence, every
// error code and the limits at their exact boundaries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, ErrorCode, Limits } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import {
  FakeControlPlane,
  TestClient,
  appFixture,
  expectRefused,
  firstPublishableKey,
  firstSecretKey,
  mintToken,
  publishableKey,
  removeTempDirs,
  secretKey,
  sleep,
  startTestRelay,
} from "./helpers";
import type { TokenOptions } from "./helpers";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
let app: SnapshotApp;
let otherApp: SnapshotApp;
const restrictedKey = secretKey({ channelPatterns: ["public/**", "room/*"], actions: ["subscribe", "publish"] });
const originKey = publishableKey({ allowedOrigins: ["https://allowed.example"] });
const revokedKey = secretKey({ revoked: true });
const expiredKey = secretKey({ expiresAtUnix: Math.floor(Date.now() / 1000) - 10 });

async function connect(options: TokenOptions = {}, key = firstSecretKey(app)): Promise<TestClient> {
  return TestClient.connect(relay, `token=${await mintToken(key, options)}`);
}

async function subscribed(channel: string, options: TokenOptions = {}): Promise<TestClient> {
  const client = await connect(options);
  expect((await client.request({ type: "subscribe", channel })).type).toBe("ack");
  return client;
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  app = appFixture();
  app.keys.push(restrictedKey, originKey, revokedKey, expiredKey);
  otherApp = appFixture();
  controlPlane.setApps([app, otherApp]);
  relay = await startTestRelay(controlPlane);
});

afterAll(async () => {
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

describe("connecting", () => {
  it("welcomes a token with peerId, expiresAt, serverTime, maxMessageSize and metadata", async () => {
    const before = Math.floor(Date.now() / 1000);
    const client = await connect({ sub: "alice", expiresInSec: 600, claims: { metadata: { iceServers: [], plan: "x" } } });
    const welcome = client.framesOf("welcome")[0];
    expect(welcome).toMatchObject({ peerId: "alice", maxMessageSize: Limits.maxInboundFrameBytes, metadata: { plan: "x" } });
    expect(welcome?.expiresAt).toBeGreaterThanOrEqual(before + 599);
    expect(Math.abs(Number(welcome?.serverTime) - before)).toBeLessThanOrEqual(2);
    expect(client.frames[0]?.type).toBe("welcome");
    client.close();
  });

  it("welcomes a publishable key with a random UUID peerId and null expiresAt", async () => {
    const client = await TestClient.connect(relay, `key=${firstPublishableKey(app).keyId}`);
    const welcome = client.framesOf("welcome")[0];
    expect(welcome?.expiresAt).toBeNull();
    expect(String(welcome?.peerId)).toMatch(/^[0-9a-f-]{36}$/);
    client.close();
  });

  it("refuses with 4001: neither credential, both, unknown key, bad signature, alg none, revoked, expired key, bad claims", async () => {
    const key = firstSecretKey(app);
    const good = await mintToken(key);
    const [header, payload] = good.split(".");
    const noneToken = `${Buffer.from(JSON.stringify({ alg: "none", kid: key.keyId })).toString("base64url")}.${payload}.`;
    const forged = await mintToken({ ...key, signingSecret: "sk_secret_wrong" });
    const cases = [
      "",
      `token=${good}&key=${firstPublishableKey(app).keyId}`,
      "key=pk_live_unknown",
      "token=not-a-jwt",
      `token=${forged}`,
      `token=${noneToken}`,
      `token=${header}.${payload}.AAAA`,
      `token=${await mintToken(revokedKey)}`,
      `token=${await mintToken(expiredKey)}`,
      `token=${await mintToken(key, { omitExp: true })}`,
      `token=${await mintToken(key, { expiresInSec: Limits.maxTokenLifetimeSec + 3600 })}`,
      `token=${await mintToken(key, { sub: "x".repeat(Limits.maxPeerIdBytes + 1) })}`,
      `token=${await mintToken(key, { sub: "tab\there" })}`,
      `token=${await mintToken(key, { claims: { permissions: ["fly"] } })}`,
      `token=${await mintToken(key, { claims: { channels: "room" } })}`,
      `token=${await mintToken(key, { claims: { peerMetadata: { blob: "x".repeat(Limits.maxPeerMetadataBytes) } } })}`,
      `token=${await mintToken(key, { claims: { metadata: { blob: "x".repeat(Limits.maxMetadataBytes) } } })}`,
      `token=${await mintToken(key, { claims: { nbf: Math.floor(Date.now() / 1000) + 60 } })}`,
      `token=${await mintToken(key, { claims: { iat: Math.floor(Date.now() / 1000) + 60 } })}`,
      `key=${firstSecretKey(app).keyId}`,
    ];
    for (const query of cases) {
      expect(await expectRefused(`${relay.url}/v1?${query}`), query.slice(0, 60)).toBe(CloseCode.InvalidToken);
    }
  });

  it("accepts a 128-byte sub and peerMetadata of exactly 4 KB", async () => {
    const sub = "p".repeat(Limits.maxPeerIdBytes);
    // {"blob":"…"} serializes to 11 bytes of envelope around the string.
    const peerMetadata = { blob: "x".repeat(Limits.maxPeerMetadataBytes - 11) };
    expect(JSON.stringify(peerMetadata).length).toBe(Limits.maxPeerMetadataBytes);
    const metadata = { blob: "y".repeat(Limits.maxMetadataBytes - 11) };
    const client = await connect({ sub, claims: { peerMetadata, metadata } });
    expect(client.framesOf("welcome")[0]?.peerId).toBe(sub);
    client.close();
  });

  it("honours nbf and iat within the clock tolerance", async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const client = await connect({ claims: { nbf: nowSec + 3, iat: nowSec + 3 } });
    expect(client.framesOf("welcome")).toHaveLength(1);
    client.close();
  });

  it("refuses an already expired token with 4002", async () => {
    const token = await mintToken(firstSecretKey(app), { expiresInSec: -30 });
    expect(await expectRefused(`${relay.url}/v1?token=${token}`)).toBe(CloseCode.TokenExpired);
  });

  it("closes a token's connection with 4002 shortly before exp", async () => {
    const client = await connect({ expiresInSec: 2 });
    const welcome = client.framesOf("welcome")[0];
    const { code } = await client.closed;
    expect(code).toBe(CloseCode.TokenExpired);
    const msBeforeExp = Number(welcome?.expiresAt) * 1000 - Date.now();
    expect(msBeforeExp).toBeGreaterThan(0);
    expect(msBeforeExp).toBeLessThan(Limits.tokenExpiryLeadMs + 1000);
  });

  it("checks a publishable key's allowed origins (4001 when missing or not listed)", async () => {
    expect(await expectRefused(`${relay.url}/v1?key=${originKey.keyId}`)).toBe(CloseCode.InvalidToken);
    expect(await expectRefused(`${relay.url}/v1?key=${originKey.keyId}`, { origin: "https://evil.example" })).toBe(CloseCode.InvalidToken);
    const client = await TestClient.connect(relay, `key=${originKey.keyId}`, { origin: "https://allowed.example" });
    client.close();
  });

  it("answers 404 for other paths without a handshake", async () => {
    const client = new TestClient(`${relay.url}/v2?key=${firstPublishableKey(app).keyId}`);
    await expect(client.opened).rejects.toThrow(/404/);
  });

  it("answers ping with pong", async () => {
    const client = await connect();
    client.send({ type: "ping" });
    await client.waitFor((f) => f.type === "pong");
    client.close();
  });
});

describe("frames and errors", () => {
  it("answers malformed frames with malformed_message and keeps the connection", async () => {
    const client = await connect();
    const bad = ["not json", "[1,2]", '"str"', "null", "{}", '{"type":5}', JSON.stringify({ type: "ping", requestId: "" }), JSON.stringify({ type: "ping", requestId: "r".repeat(Limits.maxRequestIdChars + 1) }), JSON.stringify({ type: "ping", requestId: 7 })];
    for (const frame of bad) client.send(frame);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await client.waitFor(() => client.framesOf("error").length === bad.length + 1);
    expect(client.framesOf("error").every((f) => f.code === ErrorCode.MalformedMessage && f.requestId === undefined)).toBe(true);
    const ok = await client.request({ type: "subscribe", channel: "still-alive" });
    expect(ok.type).toBe("ack");
    client.close();
  });

  it("accepts a 128-character requestId and correlates it", async () => {
    const client = await connect();
    const requestId = "q".repeat(Limits.maxRequestIdChars);
    client.send({ type: "subscribe", channel: "c", requestId });
    expect((await client.waitFor((f) => f.requestId === requestId)).type).toBe("ack");
    client.close();
  });

  it("answers unknown types with unknown_type, correlated or not", async () => {
    const client = await connect();
    expect(await client.request({ type: "teleport" })).toMatchObject({ type: "error", code: ErrorCode.UnknownType });
    client.send({ type: "teleport" });
    await client.waitFor((f) => f.code === ErrorCode.UnknownType && f.requestId === undefined);
    client.close();
  });

  it("validates channel names: empty, 256/257 bytes, control characters, reserved prefixes", async () => {
    const client = await connect();
    const ack = (channel: unknown) => client.request({ type: "subscribe", channel });
    expect(await ack("")).toMatchObject({ code: ErrorCode.InvalidChannel });
    expect(await ack(42)).toMatchObject({ code: ErrorCode.InvalidChannel });
    expect((await ack("c".repeat(Limits.maxChannelNameBytes))).type).toBe("ack");
    expect(await ack("c".repeat(Limits.maxChannelNameBytes + 1))).toMatchObject({ code: ErrorCode.InvalidChannel });
    // 128 two-byte characters = 256 bytes is fine; one more byte is not.
    expect((await ack("é".repeat(128))).type).toBe("ack");
    expect(await ack(`${"é".repeat(128)}x`)).toMatchObject({ code: ErrorCode.InvalidChannel });
    for (const ch of ["\u0000", "\u001f", "\u007f", "\u0080", "\u009f"]) expect(await ack(`a${ch}b`)).toMatchObject({ code: ErrorCode.InvalidChannel });
    for (const name of ["_metered/x", "_INTERNAL/x", "_System/x"]) expect(await ack(name)).toMatchObject({ code: ErrorCode.ChannelReserved });
    expect(await client.request({ type: "publish", channel: "_system/x", data: 1 })).toMatchObject({ code: ErrorCode.ChannelReserved });
    client.close();
  });

  it("enforces the key's channel patterns and the token's channels (channel_not_authorized)", async () => {
    const restricted = await connect({ claims: { channels: ["room/*", "public/news"] } }, restrictedKey);
    expect((await restricted.request({ type: "subscribe", channel: "room/1" })).type).toBe("ack");
    expect((await restricted.request({ type: "subscribe", channel: "public/news" })).type).toBe("ack");
    expect(await restricted.request({ type: "subscribe", channel: "public/other" })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    expect(await restricted.request({ type: "subscribe", channel: "room/1/deep" })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    expect(await restricted.request({ type: "publish", channel: "secret", data: 1 })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    expect((await restricted.request({ type: "subscribe", channel: "room/*" })).type).toBe("ack");
    expect(await restricted.request({ type: "subscribe", channel: "room/**" })).toMatchObject({ code: ErrorCode.ChannelNotAuthorized });
    // 4003 is reserved: an unauthorized subscribe is an error frame and the connection stays open.
    expect(restricted.ws.readyState).toBe(WebSocket.OPEN);
    expect(restricted.closeCode).not.toBe(CloseCode.ChannelNotAuthorized);
    restricted.close();
  });

  it("enforces action permissions from the key and the token (action_not_permitted)", async () => {
    const keyLimited = await connect({}, restrictedKey);
    expect(await keyLimited.request({ type: "send", to: "bob", data: 1 })).toMatchObject({ code: ErrorCode.ActionNotPermitted });
    keyLimited.close();
    const tokenLimited = await connect({ claims: { permissions: ["subscribe"] } });
    expect(await tokenLimited.request({ type: "publish", channel: "c", data: 1 })).toMatchObject({ code: ErrorCode.ActionNotPermitted });
    expect((await tokenLimited.request({ type: "subscribe", channel: "c" })).type).toBe("ack");
    tokenLimited.close();
    const publishOnly = await connect({ claims: { permissions: ["publish"] } });
    expect(await publishOnly.request({ type: "subscribe", channel: "c" })).toMatchObject({ code: ErrorCode.ActionNotPermitted });
    publishOnly.close();
    const publishable = await TestClient.connect(relay, `key=${firstPublishableKey(app).keyId}`);
    expect(await publishable.request({ type: "send", to: "x", data: 1 })).toMatchObject({ code: ErrorCode.ActionNotPermitted });
    publishable.close();
  });

  it("caps subscriptions at 100 per connection; re-subscribing an existing channel still works", async () => {
    const client = await connect();
    for (let i = 0; i < Limits.maxSubscriptionsPerConnection; i++) client.send({ type: "subscribe", channel: `many/${i}`, requestId: `s${i}` });
    await client.waitFor((f) => f.requestId === `s${Limits.maxSubscriptionsPerConnection - 1}`);
    expect(client.framesOf("ack")).toHaveLength(Limits.maxSubscriptionsPerConnection);
    // The 100 subscribes spent the control-frame burst (PROTOCOL §8); 200 ms refill ten more.
    await sleep(200);
    expect(await client.request({ type: "subscribe", channel: "many/extra" })).toMatchObject({ code: ErrorCode.ChannelLimitExceeded });
    expect((await client.request({ type: "subscribe", channel: "many/0" })).type).toBe("ack");
    expect((await client.request({ type: "unsubscribe", channel: "many/0" })).type).toBe("ack");
    expect((await client.request({ type: "subscribe", channel: "many/extra" })).type).toBe("ack");
    client.close();
  });

  it("validates send: invalid_peer_id, missing_data, peer_not_found", async () => {
    const client = await connect();
    for (const to of ["", "x".repeat(Limits.maxPeerIdBytes + 1), "tab\there", "é", 5, undefined]) {
      expect(await client.request({ type: "send", to, data: 1 })).toMatchObject({ code: ErrorCode.InvalidPeerId });
    }
    expect(await client.request({ type: "send", to: "bob" })).toMatchObject({ code: ErrorCode.MissingData });
    expect(await client.request({ type: "send", to: "x".repeat(Limits.maxPeerIdBytes), data: 1 })).toMatchObject({ code: ErrorCode.PeerNotFound });
    expect(await client.request({ type: "publish", channel: "c" })).toMatchObject({ code: ErrorCode.MissingData });
    client.close();
  });

  it("closes a frame over 64 KB with 1009; exactly 64 KB is accepted", async () => {
    const client = await connect();
    const envelope = JSON.stringify({ type: "publish", channel: "big", data: "" });
    const exact = JSON.stringify({ type: "publish", channel: "big", data: "x".repeat(Limits.maxInboundFrameBytes - envelope.length) });
    expect(exact.length).toBe(Limits.maxInboundFrameBytes);
    client.send(exact);
    client.send({ type: "ping" });
    await client.waitFor((f) => f.type === "pong");
    expect(client.framesOf("error")).toHaveLength(0);
    client.send(`${exact} `);
    expect(await client.closeCodeWithin()).toBe(CloseCode.MessageTooBig);
  });
});

describe("pub/sub, direct and presence", () => {
  it("delivers a publish to every other subscriber, never to the publisher, keeping apps apart", async () => {
    const a = await subscribed("news", { sub: "a" });
    const b = await subscribed("news", { sub: "b" });
    const foreign = await TestClient.connect(relay, `token=${await mintToken(firstSecretKey(otherApp))}`);
    await foreign.request({ type: "subscribe", channel: "news" });
    const publisher = await connect({ sub: "pub" });
    expect((await publisher.request({ type: "publish", channel: "news", data: { n: 1 } })).type).toBe("ack");
    expect((await a.request({ type: "publish", channel: "news", data: null })).type).toBe("ack");
    expect(await b.waitFor((f) => f.type === "message" && f.from === "pub")).toEqual({ type: "message", channel: "news", from: "pub", data: { n: 1 } });
    expect(await b.waitFor((f) => f.type === "message" && f.from === "a")).toMatchObject({ data: null });
    await a.waitFor((f) => f.type === "message" && f.from === "pub");
    await sleep(50);
    expect(a.framesOf("message").filter((f) => f.from === "a")).toHaveLength(0);
    expect(foreign.framesOf("message")).toHaveLength(0);
    for (const c of [a, b, foreign, publisher]) c.close();
  });

  it("includes fromMetadata only for subscribers that asked, when the sender has peerMetadata", async () => {
    const asking = await connect({ sub: "asking" });
    await asking.request({ type: "subscribe", channel: "meta", includeSenderMetadata: true });
    const plain = await subscribed("meta", { sub: "plain" });
    const sender = await connect({ sub: "sender", claims: { peerMetadata: { name: "Sender" } } });
    await sender.request({ type: "publish", channel: "meta", data: 1 });
    expect(await asking.waitFor((f) => f.type === "message")).toMatchObject({ fromMetadata: { name: "Sender" } });
    expect((await plain.waitFor((f) => f.type === "message")).fromMetadata).toBeUndefined();
    // A repeat subscribe updates the flag.
    await asking.request({ type: "subscribe", channel: "meta", includeSenderMetadata: false });
    await sender.request({ type: "publish", channel: "meta", data: 2 });
    expect((await asking.waitFor((f) => f.type === "message" && f.data === 2)).fromMetadata).toBeUndefined();
    for (const c of [asking, plain, sender]) c.close();
  });

  it("delivers direct sends to every connection of the peer, with fromMetadata", async () => {
    const bob1 = await connect({ sub: "bob" });
    const bob2 = await connect({ sub: "bob" });
    const alice = await connect({ sub: "alice", claims: { peerMetadata: { role: "x" } } });
    expect((await alice.request({ type: "send", to: "bob", data: { hi: true } })).type).toBe("ack");
    for (const bob of [bob1, bob2]) expect(await bob.waitFor((f) => f.type === "direct")).toEqual({ type: "direct", from: "alice", data: { hi: true }, fromMetadata: { role: "x" } });
    // One of bob's connections leaves: the other still gets what is sent to bob.
    bob1.close();
    await bob1.closed;
    await sleep(50);
    expect((await alice.request({ type: "send", to: "bob", data: { again: true } })).type).toBe("ack");
    expect(await bob2.waitFor((f) => f.type === "direct" && (f.data as { again?: boolean }).again === true)).toMatchObject({ from: "alice" });
    for (const c of [bob2, alice]) c.close();
  });

  it("sends the roster on subscribe, announces joins/leaves once per peer, and a repeat subscribe only acks", async () => {
    const alice = await subscribed("lobby", { sub: "alice", claims: { peerMetadata: { n: "A" } } });
    const aliceRoster = await alice.waitFor((f) => f.type === "presence");
    expect(aliceRoster).toEqual({ type: "presence", channel: "lobby", roster: { page: 1, last: true }, joined: [], left: [] });

    const bob1 = await subscribed("lobby", { sub: "bob" });
    expect(await bob1.waitFor((f) => f.type === "presence")).toEqual({
      type: "presence",
      channel: "lobby",
      roster: { page: 1, last: true },
      joined: [{ peerId: "alice", metadata: { n: "A" } }],
      left: [],
    });
    expect(await alice.waitFor((f) => f.type === "presence" && (f.joined as unknown[]).length === 1)).toMatchObject({ joined: [{ peerId: "bob" }], left: [] });

    // A second connection of bob: no new announcement. A repeat subscribe acks and sends nothing more:
    // the connection already has the roster and every change since.
    const bob2 = await subscribed("lobby", { sub: "bob" });
    await bob2.waitFor((f) => f.type === "presence");
    await bob1.request({ type: "subscribe", channel: "lobby" });
    await sleep(50);
    expect(bob1.framesOf("presence")).toHaveLength(1);
    expect(alice.framesOf("presence")).toHaveLength(2);

    // bob leaves only when his last connection goes.
    bob1.close();
    await sleep(50);
    expect(alice.framesOf("presence")).toHaveLength(2);
    await bob2.request({ type: "unsubscribe", channel: "lobby" });
    expect(await alice.waitFor((f) => f.type === "presence" && (f.left as unknown[]).length === 1)).toEqual({ type: "presence", channel: "lobby", joined: [], left: [{ peerId: "bob" }] });
    // Unsubscribing again still acks.
    expect((await bob2.request({ type: "unsubscribe", channel: "lobby" })).type).toBe("ack");
    alice.close();
    bob2.close();
  });

  it("sends presence only to connections with the presence permission", async () => {
    const watcher = await subscribed("quiet", { sub: "watcher", claims: { permissions: ["subscribe"] } });
    const other = await subscribed("quiet", { sub: "other" });
    await other.waitFor((f) => f.type === "presence");
    other.close();
    await sleep(80);
    expect(watcher.framesOf("presence")).toHaveLength(0);
    watcher.close();
  });

  it("wildcard subscriptions receive messages of matching channels but no presence", async () => {
    const wild = await connect({ sub: "wild" });
    expect((await wild.request({ type: "subscribe", channel: "game/*" })).type).toBe("ack");
    expect((await wild.request({ type: "subscribe", channel: "game/**" })).type).toBe("ack");
    const player = await subscribed("game/1", { sub: "player" });
    await player.request({ type: "publish", channel: "game/1", data: "move" });
    await player.request({ type: "publish", channel: "game/1/sub", data: "deep" });
    await player.request({ type: "publish", channel: "other/1", data: "no" });
    await wild.waitFor((f) => f.type === "message" && f.data === "deep");
    expect(wild.framesOf("message").map((f) => [f.channel, f.data])).toEqual([
      ["game/1", "move"],
      ["game/1/sub", "deep"],
    ]);
    expect(wild.framesOf("presence")).toHaveLength(0);
    expect(player.framesOf("presence")).toEqual([{ type: "presence", channel: "game/1", roster: { page: 1, last: true }, joined: [], left: [] }]);
    wild.close();
    player.close();
  });
});
