// A big channel's roster arrives in pages: 1,500 peers with 4 KB metadata each sit in one channel
// (without the `presence` permission, so they receive nothing), and presence-enabled subscribers get
// its roster in frames of at most `Limits.presenceRosterPagePeers` peers and 64 KB of their metadata,
// in peerId order, the last page marked. Paging is paced per connection, so a burst of such subscribes no longer stalls the
// relay for everyone else: an innocent client's ping stays fast meanwhile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Limits, RelayInternalPath, channelPeersResponseSchema } from "../src/protocol";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import type { Frame } from "./helpers";
import { FakeControlPlane, TestClient, appFixture, firstSecretKey, internalHeaders, mintToken, removeTempDirs, startTestRelay } from "./helpers";

const CHANNEL = "stage/big";
const SILENT_PEERS = 1_500;
const METADATA_FILLER_CHARS = 4_000;
const ATTACKERS = 30;
/** How long an innocent ping may take while the attackers' rosters are built and sent. */
const PING_BUDGET_MS = 100;
/** Below the control-frame bucket's 50 frames/s, so the innocent client is never rate limited. */
const PING_INTERVAL_MS = 25;

let controlPlane: FakeControlPlane;
let relay: RelayHandle;
let app: SnapshotApp;
let otherApp: SnapshotApp;
const sockets: WebSocket[] = [];
const clients: TestClient[] = [];

function silentPeerId(index: number): string {
  return `silent-${String(index).padStart(5, "0")}`;
}

/** A raw connection that is subscribed to the channel and reads frames without looking at them. */
async function openRaw(token: string, options: { countBytes?: (bytes: number) => void } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${relay.url}/v1?token=${token}`, { skipUTF8Validation: true });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("error", reject);
  });
  ws.on("message", (data: Buffer) => options.countBytes?.(data.length));
  return ws;
}

async function subscribeRaw(ws: WebSocket): Promise<void> {
  await new Promise<void>((resolve) => {
    const onAck = (data: Buffer) => {
      if (data.length < 200 && data.toString().includes('"ack"')) {
        ws.off("message", onAck);
        resolve();
      }
    };
    ws.on("message", onAck);
    ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
  });
}

async function connectSilentPeers(): Promise<void> {
  const key = firstSecretKey(app);
  const batch = 100;
  for (let start = 0; start < SILENT_PEERS; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, SILENT_PEERS - start) }, async (_, offset) => {
        const index = start + offset;
        const token = await mintToken(key, {
          sub: silentPeerId(index),
          claims: { permissions: ["subscribe"], peerMetadata: { index, filler: "m".repeat(METADATA_FILLER_CHARS) } },
        });
        await subscribeRaw(await openRaw(token));
      }),
    );
  }
}

async function presenceClient(targetApp: SnapshotApp, sub: string): Promise<TestClient> {
  const token = await mintToken(firstSecretKey(targetApp), { sub });
  const client = await TestClient.connect(relay, `token=${token}`);
  clients.push(client);
  return client;
}

/** The presence frames after the frame `from`, up to the pong that answers a ping sent now. */
async function presenceUntilPong(client: TestClient, fromIndex: number): Promise<Frame[]> {
  const pongsBefore = client.framesOf("pong").length;
  client.send({ type: "ping" });
  await waitQuietly(client, () => client.framesOf("pong").length > pongsBefore);
  return client.frames.slice(fromIndex).filter((f) => f.type === "presence");
}

interface RosterPage {
  joined: Array<{ peerId: string; metadata?: Record<string, unknown> }>;
  roster: { page: number; last: boolean };
}

function asRosterPage(frame: Frame): RosterPage {
  return frame as unknown as RosterPage;
}

/** Like TestClient.waitFor, but a failure names only the frame types (a roster page is a megabyte). */
async function waitQuietly(client: TestClient, predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!client.frames.some(predicate)) {
    if (Date.now() > deadline || client.closeCode !== null) {
      throw new Error(`expected frame not received (close code ${client.closeCode}); got ${client.frames.map((f) => f.type).join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rosterPages(client: TestClient): Promise<RosterPage[]> {
  await waitQuietly(client, (f) => f.type === "presence" && asRosterPage(f).roster?.last === true);
  return client.frames.filter((f) => f.type === "presence" && "roster" in f).map(asRosterPage);
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  const limits = { maxConcurrentConnections: 10_000, connectAttemptsPerIpPerMinute: 100_000 };
  app = appFixture({ limits });
  otherApp = appFixture({ limits });
  controlPlane.setApps([app, otherApp]);
  relay = await startTestRelay(controlPlane, { sendBufferLimitBytes: 4 * 1024 * 1024 });
  const connectStartedAt = Date.now();
  await connectSilentPeers();
  console.info(`presence roster: ${SILENT_PEERS} silent peers connected and subscribed in ${Date.now() - connectStartedAt} ms`);
}, 60_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  for (const client of clients) client.close();
  await relay.close();
  await controlPlane.stop();
  await removeTempDirs();
});

describe("roster pages", () => {
  it("a subscribe to a channel of 1,500 peers gets pages of at most N peers in peerId order, the last marked, together the whole roster", async () => {
    const viewer = await presenceClient(app, "viewer");
    const ack = await viewer.request({ type: "subscribe", channel: CHANNEL });
    expect(ack.type).toBe("ack");
    const pages = await rosterPages(viewer);

    // ~4 KB of metadata a peer: a page ends once its metadata passes 64 KB, at 16 peers.
    const metadataBytes = (page: RosterPage) => page.joined.reduce((total, member) => total + JSON.stringify(member.metadata).length, 0);
    const peersPerPage = Math.floor(Limits.presenceRosterPageMetadataBytes / JSON.stringify({ index: SILENT_PEERS, filler: "m".repeat(METADATA_FILLER_CHARS) }).length);
    expect(pages.length).toBe(Math.ceil(SILENT_PEERS / peersPerPage));
    expect(pages.map((p) => p.roster.page)).toEqual(pages.map((_, i) => i + 1));
    expect(pages.map((p) => p.roster.last)).toEqual(pages.map((_, i) => i === pages.length - 1));
    for (const page of pages) {
      expect(page.joined.length).toBeLessThanOrEqual(Limits.presenceRosterPagePeers);
      expect(metadataBytes(page)).toBeLessThanOrEqual(Limits.presenceRosterPageMetadataBytes);
    }
    const peerIds = pages.flatMap((p) => p.joined.map((m) => m.peerId));
    expect(peerIds).toEqual(Array.from({ length: SILENT_PEERS }, (_, i) => silentPeerId(i)));
    const last = pages.at(-1)?.joined.at(-1);
    expect(last?.metadata).toEqual({ index: SILENT_PEERS - 1, filler: "m".repeat(METADATA_FILLER_CHARS) });
    // The first page follows the subscribe's ack.
    const ackIndex = viewer.frames.indexOf(ack);
    expect(viewer.frames.findIndex((f) => f.type === "presence")).toBeGreaterThan(ackIndex);

    // A repeat subscribe on the same connection acks and sends no roster again (deltas kept it current).
    const framesBefore = viewer.frames.length;
    expect((await viewer.request({ type: "subscribe", channel: CHANNEL, includeSenderMetadata: true })).type).toBe("ack");
    expect(await presenceUntilPong(viewer, framesBefore)).toEqual([]);
  });

  it("an unsubscribe while the roster is being paged stops it: the roster is never completed", async () => {
    const quitter = await presenceClient(app, "quitter");
    quitter.send({ type: "subscribe", channel: CHANNEL, requestId: "sub" });
    quitter.send({ type: "unsubscribe", channel: CHANNEL, requestId: "unsub" });
    await waitQuietly(quitter, (f) => f.type === "ack" && f.requestId === "unsub");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await presenceUntilPong(quitter, 0);
    const pages = quitter.frames.filter((f) => f.type === "presence" && "roster" in f).map(asRosterPage);
    expect(pages.length).toBeLessThan(Math.ceil(SILENT_PEERS / Limits.presenceRosterPagePeers));
    expect(pages.some((p) => p.roster.last)).toBe(false);
  });

  it("joins that happen while the first page waits its turn follow it: the first presence frame is the roster's", async () => {
    const joiners = await Promise.all(Array.from({ length: 10 }, (_, i) => presenceClient(app, `joiner-${i}`)));
    const watcher = await presenceClient(app, "watcher");
    watcher.send({ type: "subscribe", channel: "stage/busy", requestId: "watch" });
    for (const joiner of joiners) joiner.send({ type: "subscribe", channel: "stage/busy", requestId: "join" });
    await waitQuietly(watcher, (f) => f.type === "presence" && asRosterPage(f).roster?.last === true);
    const everyone = joiners.map((_, i) => `joiner-${i}`).sort();
    await waitQuietly(watcher, () => {
      const present = new Set(watcher.framesOf("presence").flatMap((f) => asRosterPage(f).joined.map((m) => m.peerId)));
      return everyone.every((peerId) => present.has(peerId));
    });
    expect(watcher.framesOf("presence")[0]).toMatchObject({ channel: "stage/busy", roster: { page: 1, last: true } });
  });

  it("a subscriber with 256 others gets them in one page, wherever its own peerId sorts", async () => {
    const channel = "stage/exact";
    const key = firstSecretKey(app);
    await Promise.all(
      Array.from({ length: Limits.presenceRosterPagePeers }, async (_, i) => {
        const token = await mintToken(key, { sub: `exact-${String(i).padStart(3, "0")}`, claims: { permissions: ["subscribe"] } });
        const ws = await openRaw(token);
        await new Promise<void>((resolve) => {
          ws.once("message", () => resolve());
          ws.send(JSON.stringify({ type: "subscribe", channel, requestId: "s" }));
        });
      }),
    );
    // "exact-100x" sorts among the others, so the first read holds the subscriber itself.
    const middle = await presenceClient(app, "exact-100x");
    await middle.request({ type: "subscribe", channel });
    const pages = await rosterPages(middle);
    expect(pages.map((p) => [p.joined.length, p.roster])).toEqual([[Limits.presenceRosterPagePeers, { page: 1, last: true }]]);
  });

  it("an empty channel's roster is one empty page, marked last", async () => {
    const loner = await presenceClient(app, "loner");
    await loner.request({ type: "subscribe", channel: "stage/empty" });
    const pages = await rosterPages(loner);
    expect(pages).toEqual([expect.objectContaining({ channel: "stage/empty", joined: [], left: [], roster: { page: 1, last: true } })]);
  });
});

describe("the internal peers listing", () => {
  it("answers a page of at most the default limit and 64 KB of metadata, and walking its cursors lists every peer once", async () => {
    const seen: string[] = [];
    const callMs: number[] = [];
    let cursor: string | null = null;
    do {
      const startedAt = performance.now();
      const path = RelayInternalPath.channelPeers(app.appId, CHANNEL, cursor === null ? undefined : { limit: Limits.channelPeersDefaultLimit, cursor });
      const response = await fetch(relay.httpUrl + path, { headers: internalHeaders() });
      const page = channelPeersResponseSchema.parse(await response.json());
      callMs.push(performance.now() - startedAt);
      expect(page.peers.length).toBeLessThanOrEqual(Limits.channelPeersDefaultLimit);
      // ~4 KB of metadata each: a page stops once its metadata passes 64 KB.
      const metadataBytes = page.peers.reduce((total, peer) => total + JSON.stringify(peer.metadata ?? {}).length, 0);
      expect(page.peers.length === 1 || metadataBytes <= Limits.presenceRosterPageMetadataBytes).toBe(true);
      seen.push(...page.peers.map((peer) => peer.peerId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    console.info(`presence roster: ${callMs.length} peers pages of ${CHANNEL}, slowest call ${Math.max(...callMs).toFixed(1)} ms`);
    expect(seen.filter((peerId) => peerId.startsWith("silent-"))).toEqual(Array.from({ length: SILENT_PEERS }, (_, i) => silentPeerId(i)));
  });
});

describe("fairness", () => {
  it(`an innocent client's ping stays under ${PING_BUDGET_MS} ms while ${ATTACKERS} presence-enabled subscribes fetch the big roster`, async () => {
    const received = new Array<number>(ATTACKERS).fill(0);
    const closeCodes: number[] = [];
    const attackers = await Promise.all(
      Array.from({ length: ATTACKERS }, async (_, i) =>
        openRaw(await mintToken(firstSecretKey(app), { sub: `attacker-${i}` }), { countBytes: (bytes) => (received[i] = (received[i] ?? 0) + bytes) }),
      ),
    );
    for (const ws of attackers) ws.once("close", (code: number) => closeCodes.push(code));
    const innocent = await presenceClient(otherApp, "innocent");
    const rosterBytes = SILENT_PEERS * METADATA_FILLER_CHARS;

    const startedAt = Date.now();
    for (const ws of attackers) ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "attack" }));
    const roundTrips: number[] = [];
    while (received.some((bytes) => bytes < rosterBytes)) {
      if (Date.now() - startedAt > 30_000) throw new Error(`rosters not delivered in time: bytes ${JSON.stringify(received)}, closed ${JSON.stringify(closeCodes)}`);
      const sentAt = performance.now();
      const pongs = innocent.framesOf("pong").length;
      innocent.send({ type: "ping" });
      await waitQuietly(innocent, () => innocent.framesOf("pong").length > pongs, 30_000);
      roundTrips.push(performance.now() - sentAt);
      await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS));
    }
    const slowest = Math.max(...roundTrips);
    console.info(`presence roster fairness: ${roundTrips.length} pings while ${ATTACKERS} rosters were sent in ${Date.now() - startedAt} ms; slowest ${slowest.toFixed(1)} ms [${roundTrips.map((ms) => ms.toFixed(0)).join(" ")}]`);
    expect(slowest).toBeLessThan(PING_BUDGET_MS);
  }, 60_000);
});
