// Channel history and recovery (PROTOCOL.md "Channel history"): a client that drops and comes back
// with `since` gets every message it missed, in order, before its ack, with `recovered: true`; past
// what the history keeps (or under another epoch) it is told `recovered: false`; `rewind` replays the
// newest messages; replays are metered as deliveries, not against the quota; servers page through the
// history over the internal API; and on two nodes sharing Redis the same holds across nodes.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode, ErrorCode, HistoryLimits, RelayInternalPath, channelHistoryResponseSchema } from "../src/protocol";
import type { ChannelHistoryQuery, SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { createRedisStateCluster } from "../src/state/redis";
import type { RedisStateCluster } from "../src/state/redis";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, internalHeaders, mintToken, startTestRelay } from "./helpers";
import type { Frame } from "./helpers";
import { relayPerFile } from "./relay-per-file";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const WITH_HISTORY = { historySize: 100, historyTtlSeconds: 300 };
const CHANNEL = "room/1";

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
const openClients = relayPerFile((running) => ({ controlPlane, relay } = running));

async function addApp(limits: Partial<SnapshotApp["limits"]> = WITH_HISTORY, targets: RelayHandle[] = [relay]): Promise<SnapshotApp> {
  const app = appFixture({ limits });
  controlPlane.setApps([...controlPlane.apps, app]);
  await Promise.all(targets.map((target) => target.refreshNow()));
  return app;
}

async function connect(app: SnapshotApp, sub: string, target: RelayHandle = relay): Promise<TestClient> {
  const client = await TestClient.connect(target, `token=${await mintToken(firstSecretKey(app), { sub })}`);
  openClients.push(client);
  return client;
}

async function publishNumbers(publisher: TestClient, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) expect((await publisher.request({ type: "publish", channel: CHANNEL, data: { n } })).type).toBe("ack");
}

const messages = (client: TestClient) => client.framesOf("message");
const numbers = (frames: Frame[]) => frames.map((frame) => (frame.data as { n: number }).n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** Subscribes with `history` and resolves with the ack (or error) and the messages that arrived before it. */
async function subscribeWith(client: TestClient, history: Record<string, unknown>): Promise<{ reply: Frame; before: Frame[] }> {
  const seen = client.frames.length;
  const reply = await client.request({ type: "subscribe", channel: CHANNEL, ...history });
  const replyIndex = client.frames.indexOf(reply);
  return { reply, before: client.frames.slice(seen, replyIndex).filter((frame) => frame.type === "message") };
}

/** A subscriber that received message 1 and then dropped: its last position. */
async function subscriberThatDropped(app: SnapshotApp, publisher: TestClient): Promise<{ offset: number; epoch: string }> {
  const early = await connect(app, "reader");
  await early.request({ type: "subscribe", channel: CHANNEL });
  await publishNumbers(publisher, 1, 1);
  const last = await early.waitFor((frame) => frame.type === "message");
  early.close();
  await early.closed;
  return { offset: last.offset as number, epoch: last.epoch as string };
}

describe("recovery with since", () => {
  it("a client that dropped and missed 50 messages gets all 50, in order, before its ack with recovered: true; live ones follow", async () => {
    const app = await addApp();
    const publisher = await connect(app, "writer");
    const position = await subscriberThatDropped(app, publisher);
    expect(position.offset).toBe(1);
    expect(position.epoch).toEqual(expect.any(String));
    await publishNumbers(publisher, 2, 51);

    const back = await connect(app, "reader");
    const { reply, before } = await subscribeWith(back, { since: position });
    expect(reply).toMatchObject({ type: "ack", recovered: true, offset: 51, epoch: position.epoch });
    expect(numbers(before)).toEqual(range(2, 51));
    expect(before.map((frame) => frame.offset)).toEqual(range(2, 51));
    expect(before.every((frame) => frame.epoch === position.epoch && frame.from === "writer" && frame.channel === CHANNEL)).toBe(true);

    await publishNumbers(publisher, 52, 52);
    const live = await back.waitFor((frame) => frame.type === "message" && frame.offset === 52);
    expect(live).toMatchObject({ data: { n: 52 }, epoch: position.epoch });
    expect(numbers(messages(back))).toEqual(range(2, 52));
  });

  it("a client that missed nothing is told recovered: true with no replay", async () => {
    const app = await addApp();
    const publisher = await connect(app, "writer");
    const position = await subscriberThatDropped(app, publisher);
    const back = await connect(app, "reader");
    const { reply, before } = await subscribeWith(back, { since: position });
    expect(reply).toMatchObject({ recovered: true, offset: 1 });
    expect(before).toEqual([]);
  });

  it("past what the history keeps: recovered: false, with the messages it still has", async () => {
    const app = await addApp({ historySize: 10, historyTtlSeconds: 300 });
    const publisher = await connect(app, "writer");
    const position = await subscriberThatDropped(app, publisher);
    await publishNumbers(publisher, 2, 51);
    const back = await connect(app, "reader");
    const { reply, before } = await subscribeWith(back, { since: position });
    expect(reply).toMatchObject({ type: "ack", recovered: false, offset: 51 });
    expect(numbers(before)).toEqual(range(42, 51));
  });

  it("another epoch (the stream was lost since) or an offset the stream never reached: recovered: false and no replay", async () => {
    const app = await addApp();
    const publisher = await connect(app, "writer");
    const position = await subscriberThatDropped(app, publisher);
    await publishNumbers(publisher, 2, 5);
    const back = await connect(app, "reader");
    const otherEpoch = await subscribeWith(back, { since: { offset: 1, epoch: "lost-stream" } });
    expect(otherEpoch.reply).toMatchObject({ recovered: false, offset: 5, epoch: position.epoch });
    expect(otherEpoch.before).toEqual([]);
    const future = await subscribeWith(back, { since: { offset: 99, epoch: position.epoch } });
    expect(future.reply).toMatchObject({ recovered: false, offset: 5 });
    expect(future.before).toEqual([]);
  });
});

describe("rewind", () => {
  it("replays the newest N messages before the ack; never more than the history keeps", async () => {
    const app = await addApp({ historySize: 10, historyTtlSeconds: 300 });
    const publisher = await connect(app, "writer");
    await publishNumbers(publisher, 1, 25);
    const reader = await connect(app, "reader");
    const rewound = await subscribeWith(reader, { rewind: 5 });
    expect(rewound.reply).toMatchObject({ type: "ack", recovered: true, offset: 25 });
    expect(numbers(rewound.before)).toEqual(range(21, 25));
    const other = await connect(app, "other");
    const capped = await subscribeWith(other, { rewind: HistoryLimits.maxSize });
    expect(numbers(capped.before)).toEqual(range(16, 25));
  });

  it("rewind: 0 only says where the stream stands", async () => {
    const app = await addApp();
    const publisher = await connect(app, "writer");
    await publishNumbers(publisher, 1, 3);
    const reader = await connect(app, "reader");
    const { reply, before } = await subscribeWith(reader, { rewind: 0 });
    expect(reply).toMatchObject({ recovered: true, offset: 3, epoch: expect.any(String) });
    expect(before).toEqual([]);
    // Asked without a requestId, the answer still comes: an ack that is only about the history.
    const uncorrelated = await connect(app, "uncorrelated");
    uncorrelated.send({ type: "subscribe", channel: CHANNEL, rewind: 1 });
    await uncorrelated.waitFor((frame) => frame.type === "ack");
    expect(uncorrelated.frames.filter((frame) => frame.type === "message" || frame.type === "ack")).toEqual([
      expect.objectContaining({ type: "message", offset: 3, data: { n: 3 } }),
      { type: "ack", recovered: true, offset: 3, epoch: reply.epoch },
    ]);
  });
});

describe("large replays", () => {
  /** Publishes `count` messages of about `bytes` each, numbered from 1. */
  async function publishLarge(publisher: TestClient, count: number, bytes: number): Promise<void> {
    const padding = "x".repeat(bytes);
    for (let n = 1; n <= count; n++) expect((await publisher.request({ type: "publish", channel: CHANNEL, data: { n, padding } })).type).toBe("ack");
  }

  it("a replay far larger than a connection's send buffer arrives whole, in order, and the reader stays connected", async () => {
    // 100 × 60 KB is 6 MB, six times the test relay's 1 MiB send buffer (and more than the kernel's loopback
    // buffers take at once): sent in one go, the reader was closed 1008 slow_consumer.
    const app = await addApp({ historySize: 100, historyTtlSeconds: 300 });
    const publisher = await connect(app, "writer");
    await publishLarge(publisher, 100, 60_000);
    const reader = await connect(app, "reader");
    const { reply, before } = await subscribeWith(reader, { rewind: 100 });
    expect(reply).toMatchObject({ type: "ack", recovered: true, offset: 100 });
    expect(numbers(before)).toEqual(range(1, 100));
    expect(reader.closeCode).toBeNull();

    const dropped = await subscribeWith(await connect(app, "back"), { since: { offset: 0, epoch: reply.epoch } });
    expect(dropped.reply).toMatchObject({ recovered: true, offset: 100 });
    expect(numbers(dropped.before)).toEqual(range(1, 100));
  });

  it("a reader that stops reading during its replay holds the channel's live messages only up to its send buffer's cap, then is closed 1008 slow_consumer", async () => {
    const app = await addApp({ historySize: 100, historyTtlSeconds: 300 });
    await publishLarge(await connect(app, "writer"), 100, 60_000);
    const reader = await connect(app, "reader");
    const rawSocket = (reader.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    rawSocket.pause();
    reader.send({ type: "subscribe", channel: CHANNEL, rewind: 100 });
    // While the replay waits for the reader, the channel goes on: 40 × 60 KB live is past the test relay's 1 MiB cap.
    const live = await connect(app, "live");
    for (let n = 101; n <= 140; n++) await live.request({ type: "publish", channel: CHANNEL, data: { n, padding: "y".repeat(60_000) } });
    rawSocket.resume();
    expect(await reader.closed).toEqual({ code: CloseCode.PolicyViolation, reason: "slow_consumer" });
    expect((await live.request({ type: "publish", channel: "elsewhere", data: 1 })).type).toBe("ack");
  });

  it("a connection is replayed at most two whole histories at once, then 100 messages a second: past it the replay stops with recovered: false", async () => {
    const app = await addApp({ historySize: 100, historyTtlSeconds: 300 });
    await publishNumbers(await connect(app, "writer"), 1, 100);
    const reader = await connect(app, "reader");
    const started = performance.now();
    const replays: Array<{ recovered: unknown; count: number }> = [];
    for (let round = 0; round < 25; round++) {
      const { reply, before } = await subscribeWith(reader, { rewind: 100 });
      replays.push({ recovered: reply.recovered, count: before.length });
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    const replayed = replays.reduce((sum, replay) => sum + replay.count, 0);
    // Twenty whole rewinds fit the burst; the rounds after them get what has refilled since.
    expect(replays.slice(0, 20).every((replay) => replay.recovered === true && replay.count === 100)).toBe(true);
    expect(replays.some((replay) => replay.recovered === false && replay.count < 100)).toBe(true);
    expect(replayed).toBeLessThanOrEqual(HistoryLimits.replayBurstMessages + Math.ceil(elapsedSeconds * HistoryLimits.replayMessagesPerSecond) + 1);
    // Another connection has a budget of its own.
    const other = await subscribeWith(await connect(app, "other"), { rewind: 100 });
    expect(other.reply).toMatchObject({ recovered: true });
    expect(other.before).toHaveLength(100);
  });

  it("a server's history page stops at a bounded size and says where to go on", async () => {
    const app = await addApp({ historySize: 100, historyTtlSeconds: 300 });
    const publisher = await connect(app, "writer");
    await publishLarge(publisher, 40, 60_000);
    const offsets: number[] = [];
    let before: number | null | undefined;
    do {
      const response = await history(relay, app, before ? { limit: 100, before } : { limit: 100 });
      expect(response.text.length).toBeLessThanOrEqual(HistoryLimits.restPageBytes + 1_000);
      const page = channelHistoryResponseSchema.parse(response.body);
      offsets.unshift(...page.messages.map((message) => message.offset));
      before = page.nextBefore;
    } while (before);
    expect(offsets).toEqual(range(1, 40));
  });
});

describe("refusals and an app without history", () => {
  it("bad since or rewind is an error frame and the connection stays; wildcards are refused history_not_supported", async () => {
    const app = await addApp();
    const client = await connect(app, "probe");
    const bad: Record<string, unknown>[] = [
      { since: "12" },
      { since: { offset: -1, epoch: "e" } },
      { since: { offset: 1.5, epoch: "e" } },
      { since: { offset: 1 } },
      { since: { offset: 1, epoch: "" } },
      { since: { offset: 1, epoch: "e".repeat(HistoryLimits.maxEpochChars + 1) } },
      { since: { offset: 1, epoch: "e", extra: true } },
      { since: null },
      { rewind: -1 },
      { rewind: 2.5 },
      { rewind: "5" },
      { rewind: HistoryLimits.maxSize + 1 },
      { rewind: 1, since: { offset: 1, epoch: "e" } },
    ];
    for (const fields of bad) {
      expect(await client.request({ type: "subscribe", channel: CHANNEL, ...fields }), JSON.stringify(fields)).toMatchObject({ type: "error", code: ErrorCode.MalformedMessage });
    }
    expect(await client.request({ type: "subscribe", channel: "room/*", rewind: 5 })).toMatchObject({ type: "error", code: ErrorCode.HistoryNotSupported });
    expect(await client.request({ type: "subscribe", channel: "room/**", since: { offset: 1, epoch: "e" } })).toMatchObject({ code: ErrorCode.HistoryNotSupported });
    expect(client.closeCode).toBeNull();
    expect((await client.request({ type: "subscribe", channel: "room/*" })).type).toBe("ack");
  });

  it("with history off, messages carry no offset and since is answered recovered: false", async () => {
    const app = await addApp({});
    const publisher = await connect(app, "writer");
    const reader = await connect(app, "reader");
    await reader.request({ type: "subscribe", channel: CHANNEL });
    await publishNumbers(publisher, 1, 1);
    const message = await reader.waitFor((frame) => frame.type === "message");
    expect(message).not.toHaveProperty("offset");
    expect(message).not.toHaveProperty("epoch");
    const late = await connect(app, "late");
    const { reply, before } = await subscribeWith(late, { since: { offset: 0, epoch: "e" } });
    expect(reply).toEqual({ type: "ack", requestId: expect.any(String), recovered: false });
    expect(before).toEqual([]);
  });
});

describe("metering", () => {
  it("replayed messages count as deliveries, not against the message quota", async () => {
    const app = await addApp();
    const publisher = await connect(app, "writer");
    await publishNumbers(publisher, 1, 10);
    const reader = await connect(app, "reader");
    await subscribeWith(reader, { rewind: 10 });
    await relay.flushUsage();
    expect(controlPlane.applied(app.appId)).toMatchObject({ messagesAccepted: 10, deliveredMessages: 10 });
  });
});

async function history(target: RelayHandle, app: SnapshotApp, query: Partial<ChannelHistoryQuery> | string) {
  const base = RelayInternalPath.channelHistory(app.appId, CHANNEL, { limit: HistoryLimits.restDefaultLimit });
  const path = typeof query === "string" ? `${base.split("?")[0]}?${query}` : RelayInternalPath.channelHistory(app.appId, CHANNEL, { limit: HistoryLimits.restDefaultLimit, ...query });
  const response = await fetch(target.httpUrl + path, { headers: internalHeaders() });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as unknown };
}

describe("the history for servers (internal API of GET /v1/channels/:channel/history)", () => {
  it("pages back from the newest, oldest first within a page, until nextBefore is null", async () => {
    const app = await addApp({ historySize: 10, historyTtlSeconds: 300 });
    const publisher = await connect(app, "writer");
    await publishNumbers(publisher, 1, 12);
    const first = channelHistoryResponseSchema.parse((await history(relay, app, { limit: 4 })).body);
    expect(first.messages.map((message) => [message.offset, message.data])).toEqual([9, 10, 11, 12].map((n) => [n, { n }]));
    expect(first.messages[0]).toMatchObject({ from: "writer", publishedAt: expect.any(Number) });
    expect(first.nextBefore).toBe(9);
    const second = channelHistoryResponseSchema.parse((await history(relay, app, { limit: 4, before: 9 })).body);
    expect(second.messages.map((message) => message.offset)).toEqual([5, 6, 7, 8]);
    const last = channelHistoryResponseSchema.parse((await history(relay, app, { limit: 4, before: 5 })).body);
    // The history keeps 10: offsets 3 and 4 are the oldest left.
    expect(last.messages.map((message) => message.offset)).toEqual([3, 4]);
    expect(last.nextBefore).toBeNull();
    expect(new Set([first.epoch, second.epoch, last.epoch]).size).toBe(1);
  });

  it("an app without history answers an empty page; bad queries are 400", async () => {
    const off = await addApp({});
    expect((await history(relay, off, {})).body).toEqual({ channel: CHANNEL, epoch: null, messages: [], nextBefore: null });
    const app = await addApp();
    for (const query of ["limit=0", `limit=${HistoryLimits.maxSize + 1}`, "limit=x", "before=0", "before=-3", "before=1.5", "before=x"]) {
      expect((await history(relay, app, query)).status, query).toBe(400);
    }
  });
});

describe("two relay nodes sharing Redis", () => {
  let cluster: RedisStateCluster;
  const nodes: RelayHandle[] = [];

  beforeAll(async () => {
    cluster = createRedisStateCluster({ url: REDIS_URL, keyPrefix: `tg-history:${process.pid}:${randomBytes(4).toString("hex")}:`, cleanUp: true });
    for (const nodeId of ["history-a", "history-b"]) nodes.push(await startTestRelay(controlPlane, { relayId: nodeId }, { state: cluster.node(nodeId) }));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await cluster.close();
  });

  it("messages published on one node are recovered on the other, with offsets from one stream", async () => {
    const [a, b] = nodes as [RelayHandle, RelayHandle];
    const app = await addApp(WITH_HISTORY, [a, b]);
    const writerA = await connect(app, "writer-a", a);
    const writerB = await connect(app, "writer-b", b);
    const early = await connect(app, "reader", b);
    await early.request({ type: "subscribe", channel: CHANNEL });
    await publishNumbers(writerA, 1, 1);
    const last = await early.waitFor((frame) => frame.type === "message");
    early.close();
    await early.closed;
    await publishNumbers(writerA, 2, 26);
    await publishNumbers(writerB, 27, 51);

    const back = await connect(app, "reader", a);
    const { reply, before } = await subscribeWith(back, { since: { offset: last.offset, epoch: last.epoch } });
    expect(reply).toMatchObject({ recovered: true, offset: 51, epoch: last.epoch });
    expect(numbers(before)).toEqual(range(2, 51));
    expect(before.map((frame) => frame.offset)).toEqual(range(2, 51));
    const page = channelHistoryResponseSchema.parse((await history(b, app, { limit: 3 })).body);
    expect(page.messages.map((message) => message.offset)).toEqual([49, 50, 51]);
  });

  it("messages published on the other node while the history is read arrive once each, in offset order", async () => {
    const [a, b] = nodes as [RelayHandle, RelayHandle];
    const app = await addApp(WITH_HISTORY, [a, b]);
    const writer = await connect(app, "writer", a);
    await publishNumbers(writer, 1, 20);
    const { epoch } = channelHistoryResponseSchema.parse((await history(b, app, { limit: 1 })).body);
    const readers = await Promise.all(range(1, 6).map((n) => connect(app, `reader-${n}`, b)));
    // The publishes race the subscribes: a message may land in a replay, arrive live, or both at once.
    const racing = publishNumbers(writer, 21, 80);
    const replies = [];
    for (const reader of readers) replies.push((await subscribeWith(reader, { since: { offset: 10, epoch } })).reply);
    await racing;
    expect(replies.every((reply) => reply.type === "ack" && reply.recovered === true)).toBe(true);
    for (const reader of readers) {
      await eventually(() => expect(messages(reader).at(-1)?.offset).toBe(80));
      expect(messages(reader).map((frame) => frame.offset)).toEqual(range(11, 80));
    }
  });
});
