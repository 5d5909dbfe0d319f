// What a connection costs the relay in memory, whatever its token's claims hold: 300 connections with
// the largest claims a token may carry, shaped to cost the most once parsed (thousands of empty
// objects, 100 channel patterns of 256 bytes), each having asked for 200 more channels of 256-byte
// names. The relay runs in a child process (measured-relay.ts) so its heap is weighed apart from the
// clients'.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Limits } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import { FakeControlPlane, TestClient, appFixture, eventually, firstSecretKey, mintToken, relayConfig, removeTempDirs, sleep } from "./helpers";
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

/** `{"<key>":[{},{},…]}` as long as fits in `maxBytes` serialized: the most objects per byte. */
function emptyObjects(key: string, maxBytes: number): Record<string, unknown> {
  const overhead = JSON.stringify({ [key]: [] }).length;
  const count = Math.floor((maxBytes - overhead + 1) / 3);
  const value = { [key]: Array.from({ length: count }, () => ({})) };
  expect(JSON.stringify(value).length).toBeLessThanOrEqual(maxBytes);
  expect(JSON.stringify(value).length).toBeGreaterThan(maxBytes - 4);
  return value;
}

/** The largest claims a token may carry: metadata, peerMetadata and 100 channel patterns of 256 bytes. */
function maximalClaims(index: number): Record<string, unknown> {
  return {
    metadata: emptyObjects("m", Limits.maxMetadataBytes),
    peerMetadata: emptyObjects("p", Limits.maxPeerMetadataBytes),
    channels: Array.from({ length: Limits.maxTokenChannels }, (_, i) => `granted/${index}/${i}/`.padEnd(Limits.maxChannelNameBytes, "x")),
  };
}

function channelName(connectionIndex: number, attempt: number): string {
  return `m/${connectionIndex}/${attempt}/`.padEnd(Limits.maxChannelNameBytes, "x");
}

/**
 * Asks for channels `from`..`to` (exclusive), each refused `channel_not_authorized`: every answer is one
 * more channel name the relay judged. `perStep` attempts per client every 100 ms stay within the
 * control-frame rate once its burst is spent.
 */
async function subscribeOutsideTheClaim(clients: Array<{ client: TestClient; index: number }>, from: number, to: number, perStep: number): Promise<void> {
  for (let sent = from; sent < to; sent += perStep) {
    for (const { client, index } of clients) {
      for (let attempt = sent; attempt < Math.min(sent + perStep, to); attempt++) {
        client.send({ type: "subscribe", channel: channelName(index, attempt), requestId: `s${attempt}` });
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

async function openAttackers(firstIndex: number, count: number): Promise<TestClient[]> {
  const opened: Array<{ client: TestClient; index: number }> = [];
  const batch = 25;
  for (let start = 0; start < count; start += batch) {
    const indexes = Array.from({ length: Math.min(batch, count - start) }, (_, i) => firstIndex + start + i);
    const clients = await Promise.all(
      indexes.map(async (index) => {
        const token = await mintToken(firstSecretKey(app), { sub: `attacker-${index}-${"p".repeat(100)}`, claims: maximalClaims(index) });
        const client = new TestClient(`${relayUrl}/v1?token=${token}`);
        await client.waitFor((f) => f.type === "welcome", 10_000);
        client.frames.length = 0;
        return { client, index };
      }),
    );
    // The control-frame burst (100) at once.
    await subscribeOutsideTheClaim(clients, 0, 100, 100);
    opened.push(...clients);
  }
  // Then the rest within the refill rate (50/s), every client at once.
  await sleep(500);
  await subscribeOutsideTheClaim(opened, 100, SUBSCRIBE_ATTEMPTS, 4);
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
  it("holds at most 64 KB per connection whatever its claims hold, and gives it back on close", { timeout: 60_000 }, async () => {
    // A first round warms the relay (compiled code, pools), so the baseline is what a running relay holds.
    await closeAll(await openAttackers(0, WARM_UP_CONNECTIONS));
    const baseline = await measure();

    const clients = await openAttackers(WARM_UP_CONNECTIONS, CONNECTIONS);
    const loaded = await measure();
    expect(loaded.connections).toBe(CONNECTIONS);
    const perConnection = Math.round((heldBytes(loaded) - heldBytes(baseline)) / CONNECTIONS);
    const rssPerConnection = Math.round((loaded.rssBytes - baseline.rssBytes) / CONNECTIONS);
    expect(perConnection, `heap+external per connection ${perConnection} B (rss ${rssPerConnection} B)`).toBeLessThanOrEqual(MAX_BYTES_PER_CONNECTION);

    await closeAll(clients);
    const afterClose = await measure();
    const leftBytes = heldBytes(afterClose) - heldBytes(baseline);
    expect(leftBytes, `held ${leftBytes} B more than before the connections opened`).toBeLessThanOrEqual(MAX_BYTES_LEFT_AFTER_CLOSE);
  });
});
