// What a connection costs the relay in memory, whatever its token's claims hold: populations of 300
// connections with the largest claims a token may carry, shaped to cost the most once parsed
// (thousands of empty objects, 100 channel names of 256 bytes), each connection then asking for 200
// channels it may not have, or holding 100 subscriptions to channels of its own, or to 100 channels
// the whole population is present in. The relay runs in a child process (measured-relay.ts) so its
// heap is weighed apart from the clients'.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Limits } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import { FakeControlPlane, TestClient, appFixture, emptyObjects, eventually, firstSecretKey, mintToken, relayConfig, removeTempDirs, sleep } from "./helpers";
import type { ChildMessage, ParentMessage } from "./measured-relay";

const CONNECTIONS = 300;
const WARM_UP_CONNECTIONS = 20;
/** Subscribe attempts per connection, each on a channel of its own outside the token's `channels`. */
const SUBSCRIBE_ATTEMPTS = 200;
const MAX_BYTES_PER_CONNECTION = 64 * 1024;
/** What may stay behind once every connection closed (caches of compiled code, pooled buffers). */
const MAX_BYTES_LEFT_AFTER_CLOSE = 3 * 1024 * 1024;

type Measurement = Extract<ChildMessage, { type: "measured" }>;

let controlPlane: FakeControlPlane;
let app: SnapshotApp;
let child: ChildProcess;
let relayUrl: string;

function nextMessage<T extends ChildMessage["type"]>(type: T): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve) => {
    const listener = (message: ChildMessage) => {
      if (message.type !== type) return;
      child.off("message", listener);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    child.on("message", listener);
  });
}

function tell(message: ParentMessage): void {
  child.send(message);
}

async function measure(): Promise<Measurement> {
  const measured = nextMessage("measured");
  tell({ type: "measure" });
  return measured;
}

/** Heap plus memory outside it (socket buffers), what connections can make the relay hold. */
const heldBytes = (m: Measurement): number => m.heapUsedBytes + m.externalBytes;

/** `emptyObjects`, checked to fill `maxBytes` to within a few bytes. */
function maximalEmptyObjects(key: string, maxBytes: number): Record<string, unknown> {
  const value = emptyObjects(key, maxBytes);
  expect(JSON.stringify(value).length).toBeLessThanOrEqual(maxBytes);
  expect(JSON.stringify(value).length).toBeGreaterThan(maxBytes - 4);
  return value;
}

/** The largest claims a token may carry: metadata, peerMetadata and 100 channel patterns of 256 bytes. */
function maximalClaims(channels: string[]): Record<string, unknown> {
  expect(channels).toHaveLength(Limits.maxTokenChannels);
  return {
    metadata: maximalEmptyObjects("m", Limits.maxMetadataBytes),
    peerMetadata: maximalEmptyObjects("p", Limits.maxPeerMetadataBytes),
    channels,
  };
}

/** A 256-byte channel name. */
const longName = (prefix: string): string => prefix.padEnd(Limits.maxChannelNameBytes, "x");

/** The connection's own 100 channels, which no other connection is on. */
const ownChannels = (index: number): string[] => Array.from({ length: Limits.maxTokenChannels }, (_, i) => longName(`own/${index}/${i}/`));
/** 100 channels every connection of a population is on. */
const SHARED_CHANNELS = Array.from({ length: Limits.maxTokenChannels }, (_, i) => longName(`shared/${i}/`));

function refusedChannel(connectionIndex: number, attempt: number): string {
  return longName(`m/${connectionIndex}/${attempt}/`);
}

interface Attacker {
  client: TestClient;
  index: number;
}

/** What a population's connections claim and do once welcomed. */
interface Population {
  claims(index: number): Record<string, unknown>;
  /** Spends each just-opened client's control-frame burst (100 frames at once). */
  spendBurst(clients: Attacker[]): Promise<void>;
  /** What follows once every client has spent its burst, within the control-frame refill rate. */
  afterBurst?(clients: Attacker[]): Promise<void>;
}

/**
 * Asks for channels `from`..`to` (exclusive), each refused `channel_not_authorized`: every answer is one
 * more channel name the relay judged. `perStep` attempts per client every 100 ms stay within the
 * control-frame rate once its burst is spent.
 */
async function subscribeOutsideTheClaim(clients: Attacker[], from: number, to: number, perStep: number): Promise<void> {
  for (let sent = from; sent < to; sent += perStep) {
    for (const { client, index } of clients) {
      for (let attempt = sent; attempt < Math.min(sent + perStep, to); attempt++) {
        client.send({ type: "subscribe", channel: refusedChannel(index, attempt), requestId: `s${attempt}` });
      }
    }
    if (sent + perStep < to) await sleep(100);
  }
  for (const { client } of clients) {
    expect(await client.waitFor((f) => f.requestId === `s${to - 1}`, 15_000)).toMatchObject({ type: "error", code: ErrorCode.ChannelNotAuthorized });
    expect(client.frames.filter((f) => f.type === "error" && f.code !== ErrorCode.ChannelNotAuthorized)).toEqual([]);
    client.frames.length = 0;
  }
}

/** Subscribes each client to its 100 channels (its whole control-frame burst) and waits for every ack. */
async function subscribeToEach(clients: Attacker[], channelsOf: (index: number) => string[]): Promise<void> {
  for (const { client, index } of clients) {
    channelsOf(index).forEach((channel, i) => client.send({ type: "subscribe", channel, requestId: `s${i}` }));
  }
  for (const { client } of clients) {
    await client.waitFor((f) => f.requestId === `s${Limits.maxSubscriptionsPerConnection - 1}`, 15_000);
    expect(client.frames.filter((f) => f.type === "error")).toEqual([]);
    expect(client.frames.filter((f) => f.type === "ack")).toHaveLength(Limits.maxSubscriptionsPerConnection);
    client.frames.length = 0;
  }
}

const populations: Record<string, Population> = {
  "200 refused subscribes each": {
    claims: (index) => maximalClaims(ownChannels(index)),
    spendBurst: (clients) => subscribeOutsideTheClaim(clients, 0, 100, 100),
    afterBurst: async (clients) => {
      await sleep(500);
      await subscribeOutsideTheClaim(clients, 100, SUBSCRIBE_ATTEMPTS, 4);
    },
  },
  "100 subscriptions each to channels of its own": {
    claims: (index) => maximalClaims(ownChannels(index)),
    spendBurst: (clients) => subscribeToEach(clients, ownChannels),
  },
  // Every connection is present in every channel (100 presence rosters of all of them). The
  // connections may not see presence themselves: each join would go to every other connection and
  // each roster would be all of them, traffic that grows with the square of the population.
  "100 subscriptions each to the same 100 channels": {
    claims: () => ({ ...maximalClaims(SHARED_CHANNELS), permissions: ["subscribe", "publish"] }),
    spendBurst: (clients) => subscribeToEach(clients, () => SHARED_CHANNELS),
  },
};

async function openAttackers(population: Population, firstIndex: number, count: number): Promise<TestClient[]> {
  const opened: Attacker[] = [];
  const batch = 25;
  for (let start = 0; start < count; start += batch) {
    const indexes = Array.from({ length: Math.min(batch, count - start) }, (_, i) => firstIndex + start + i);
    const clients = await Promise.all(
      indexes.map(async (index) => {
        const token = await mintToken(firstSecretKey(app), { sub: `attacker-${index}-${"p".repeat(100)}`, claims: population.claims(index) });
        const client = new TestClient(`${relayUrl}/v1?token=${token}`);
        await client.waitFor((f) => f.type === "welcome", 10_000);
        client.frames.length = 0;
        return { client, index };
      }),
    );
    await population.spendBurst(clients);
    opened.push(...clients);
  }
  await population.afterBurst?.(opened);
  return opened.map(({ client }) => client);
}

async function closeAll(clients: TestClient[]): Promise<void> {
  for (const client of clients) client.close();
  await Promise.all(clients.map((client) => client.closed));
  await eventually(async () => expect((await measure()).connections).toBe(0), 10_000);
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  app = appFixture({ limits: { maxConcurrentConnections: 10_000 } });
  controlPlane.setApps([app]);
  child = fork(path.join(__dirname, "measured-relay.ts"), [], { execArgv: ["--expose-gc", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const started = nextMessage("started");
  tell({ type: "start", config: await relayConfig(controlPlane) });
  relayUrl = (await started).url;
});

afterAll(async () => {
  if (child.connected) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    tell({ type: "stop" });
    await exited;
  }
  await controlPlane.stop();
  await removeTempDirs();
});

describe("memory per connection", () => {
  it.each(Object.entries(populations))("holds at most 64 KB per connection with maximal claims and %s, and gives it back on close", { timeout: 30_000 }, async (name, population) => {
    // A first round warms the relay (compiled code, pools), so the baseline is what a running relay holds.
    await closeAll(await openAttackers(population, 0, WARM_UP_CONNECTIONS));
    const baseline = await measure();

    const clients = await openAttackers(population, WARM_UP_CONNECTIONS, CONNECTIONS);
    let loaded: Measurement;
    try {
      loaded = await measure();
    } finally {
      // Closed either way, so a failure here leaves the next population a relay without them.
      await closeAll(clients);
    }
    const afterClose = await measure();
    expect(loaded.connections).toBe(CONNECTIONS);
    const perConnection = Math.round((heldBytes(loaded) - heldBytes(baseline)) / CONNECTIONS);
    const rssPerConnection = Math.round((loaded.rssBytes - baseline.rssBytes) / CONNECTIONS);
    const leftBytes = heldBytes(afterClose) - heldBytes(baseline);
    expect(perConnection, `${name}: heap+external per connection ${perConnection} B (rss ${rssPerConnection} B)`).toBeLessThanOrEqual(MAX_BYTES_PER_CONNECTION);
    expect(leftBytes, `${name}: held ${leftBytes} B more than before the connections opened`).toBeLessThanOrEqual(MAX_BYTES_LEFT_AFTER_CLOSE);
  });
});
