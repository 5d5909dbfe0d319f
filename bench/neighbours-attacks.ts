// The attacks of bench/relay-neighbours.ts (issue 22), each as strong as the relay's default limits
// let it be: paced just under a per-connection budget where a budget is known, as fast as the socket
// drains where the attack is the flood itself. Each runs until the context is stopped.
import { WebSocket } from "ws";
import { Limits, PlanDefaults } from "../relay/src/protocol";
import { emptyObjects } from "../relay/test/helpers";
import type { AttackContext } from "./neighbours-attack-context";
import { ADVERSARIAL_PATTERN } from "./neighbours-plan";
import type { AttackName } from "./neighbours-plan";

/** Connections of the flooding attacks (the "over 4 connections"). */
const FLOOD_CONNECTIONS = 4;
/**
 * A flooding attacker is one client: its connections, and the new ones it opens when the relay closes
 * them, come from one address, so the per-address connect limit applies as it would to a real one.
 */
const FLOODER_ADDRESS = "127.0.0.2";
const CONNECTS_IN_FLIGHT = 50;
/** Just under the default message bucket refill, so the attacker is never closed 4011 for it. */
const PUBLISHES_PER_SECOND_PER_CONNECTION = Math.floor(PlanDefaults.tokenBucketRefillPerSecond * 0.9);
/** Just under the default control-frame refill of 50/s (PROTOCOL §8). */
const SUBSCRIBES_PER_SECOND_PER_CONNECTION = 45;
const PRESENCE_WATCHERS = 20;
const HEAVY_CONNECTIONS = 1_000;
const CROWD_PEERS = 1_500;
const ROSTER_WATCHERS = 30;
const SHARED_PEER_CONNECTIONS = 500;
const DIRECT_SENDERS = 3;
const DIRECT_SENDS_PER_SENDER = 100;
const DIRECT_PAYLOAD = "x".repeat(60 * 1024);
const RECONNECT_DELAY_MS = 20;
const HALF_OPEN_IN_FLIGHT = 200;

const frame = (value: Record<string, unknown>) => JSON.stringify({ ...value, requestId: "n" });

/**
 * Channels of `a`s, 48 long and longer (up to the 256-byte limit): a fresh name each time, so a
 * per-connection authorization cache never answers in place of the matcher.
 */
const runOfAs = (seq: number) => "a".repeat(48 + (seq % (Limits.maxChannelNameBytes - 47)));

async function wildcardPublish(ctx: AttackContext): Promise<void> {
  const subscribers = await ctx.connectMany(FLOOD_CONNECTIONS, FLOOD_CONNECTIONS, () => ctx.publishableQuery(), {
    onFrame: (type) => type === "message" && ctx.count("message delivered to a wildcard subscriber"),
  });
  for (const ws of subscribers) ws.send(frame({ type: "subscribe", channel: ADVERSARIAL_PATTERN }));
  const publishers = await ctx.connectMany(FLOOD_CONNECTIONS, FLOOD_CONNECTIONS, () => ctx.publishableQuery(), {
    onFrame: (type) => type === "ack" && ctx.count("publish acked"),
  });
  ctx.setUp();
  await ctx.every(PUBLISHES_PER_SECOND_PER_CONNECTION * publishers.length, (seq) => {
    const ws = publishers[seq % publishers.length];
    if (ws?.readyState !== WebSocket.OPEN) return;
    ws.send(frame({ type: "publish", channel: runOfAs(seq), data: seq }));
    ctx.count("publish sent");
  });
}

async function patternSubscribe(ctx: AttackContext): Promise<void> {
  const connections = await ctx.connectMany(FLOOD_CONNECTIONS, FLOOD_CONNECTIONS, (i) => ctx.tokenQuery(ctx.keys.adversarialKey, { sub: `pattern-${i}` }));
  ctx.setUp();
  await ctx.every(SUBSCRIBES_PER_SECOND_PER_CONNECTION * connections.length, (seq) => {
    const ws = connections[seq % connections.length];
    if (ws?.readyState !== WebSocket.OPEN) return;
    ws.send(frame({ type: "subscribe", channel: runOfAs(seq) }));
    ctx.count("subscribe sent");
  });
}

/** FLOOD_CONNECTIONS connections that flood `frames`; each one the relay closes is replaced. */
async function floodFromConnections(ctx: AttackContext, frames: readonly string[], counted: string): Promise<void> {
  const slot = async () => {
    while (!ctx.stopped) {
      const ws = await ctx.connect(ctx.publishableQuery(), { from: FLOODER_ADDRESS, onFrame: (type) => type === "pong" && ctx.count("pong") });
      ctx.setUp();
      if (ws) await ctx.flood(ws, frames, counted);
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
  };
  await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, slot));
}

async function pingFlood(ctx: AttackContext): Promise<void> {
  await floodFromConnections(ctx, [JSON.stringify({ type: "ping" })], "ping sent");
}

async function presenceChurn(ctx: AttackContext): Promise<void> {
  const channel = "lobby";
  const watchers = await ctx.connectMany(PRESENCE_WATCHERS, PRESENCE_WATCHERS, () => ctx.publishableQuery(), {
    onFrame: (type) => type === "presence" && ctx.count("presence frame to a watcher"),
  });
  for (const ws of watchers) ws.send(frame({ type: "subscribe", channel }));
  await floodFromConnections(ctx, [frame({ type: "subscribe", channel }), frame({ type: "unsubscribe", channel })], "subscribe/unsubscribe sent");
}

async function heavyConnections(ctx: AttackContext): Promise<void> {
  const claims = { metadata: emptyObjects("l", Limits.maxMetadataBytes), peerMetadata: emptyObjects("l", Limits.maxPeerMetadataBytes) };
  const connections = await ctx.connectMany(HEAVY_CONNECTIONS, CONNECTS_IN_FLIGHT, (i) => ctx.tokenQuery(ctx.keys.secretKey, { sub: `heavy-${i}`, claims }));
  // Distinct names, so every subscription is a channel of its own.
  connections.forEach((ws, i) => {
    for (let s = 0; s < Limits.maxSubscriptionsPerConnection; s++) ws.send(frame({ type: "subscribe", channel: `${i}/${s}/`.padEnd(Limits.maxChannelNameBytes, "x") }));
    ctx.count("subscribe sent", Limits.maxSubscriptionsPerConnection);
  });
  ctx.setUp();
  await ctx.untilStopped();
}

async function halfOpen(ctx: AttackContext): Promise<void> {
  // The request line and one header, never the blank line that ends the headers.
  const partialRequest = `GET /v1?${ctx.publishableQuery()} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  let opened = 0;
  let exhausted = false;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const socket = ctx.tcpConnect();
      socket.once("connect", () => {
        socket.write(partialRequest);
        ctx.count("connected, request left unfinished");
        resolve();
      });
      socket.once("data", (chunk: Buffer) => ctx.count(`answered: ${chunk.toString("latin1").split("\r\n")[0] ?? ""}`));
      socket.once("error", (error: Error & { code?: string }) => {
        ctx.count(`socket error ${error.code ?? error.message}`);
        // Out of file descriptors or local ports: the machine's limit is reached.
        if (error.code === "EMFILE" || error.code === "EADDRNOTAVAIL") exhausted = true;
        resolve();
      });
      socket.once("close", () => !ctx.stopped && ctx.count("closed by the relay before the attack stopped"));
    });
  const worker = async () => {
    while (!ctx.stopped && !exhausted && opened < ctx.plan.halfOpenTarget) {
      opened += 1;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: HALF_OPEN_IN_FLIGHT }, worker));
  ctx.notes.push(`half-open sockets held when the opening ended: ${ctx.openTcpSockets()} of ${opened} tried (target ${ctx.plan.halfOpenTarget})`);
  ctx.setUp();
  await ctx.untilStopped();
}

async function bigRoster(ctx: AttackContext): Promise<void> {
  const channel = "crowd";
  const peerMetadata = emptyObjects("l", Limits.maxPeerMetadataBytes);
  const crowd = await ctx.connectMany(CROWD_PEERS, CONNECTS_IN_FLIGHT, (i) =>
    ctx.tokenQuery(ctx.keys.secretKey, { sub: `crowd-${i}`, claims: { permissions: ["subscribe"], peerMetadata } }),
  );
  for (const ws of crowd) ws.send(frame({ type: "subscribe", channel }));
  const watchers = await ctx.connectMany(ROSTER_WATCHERS, ROSTER_WATCHERS, (i) => ctx.tokenQuery(ctx.keys.secretKey, { sub: `watcher-${i}`, claims: { permissions: ["subscribe", "presence"] } }), {
    onFrame: (type, data) => {
      if (type !== "presence") return;
      ctx.count("presence frame to a watcher");
      ctx.count("presence bytes to watchers", data.length);
    },
  });
  ctx.setUp();
  const listing = `${ctx.plan.httpUrl}/internal/apps/${encodeURIComponent(ctx.plan.appId)}/channels/${channel}/peers`;
  let slowestListingMs = 0;
  /** One page of the listing; resolves with the next page's cursor, or null after the last. */
  const listPage = async (cursor: string | null): Promise<string | null> => {
    const startedAt = performance.now();
    try {
      const url = cursor === null ? listing : `${listing}?cursor=${encodeURIComponent(cursor)}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${ctx.plan.relaySecret}` }, signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      ctx.count(`peer listing page HTTP ${response.status}`);
      ctx.count("peer listing bytes", body.length);
      return response.ok ? ((JSON.parse(body) as { nextCursor?: string | null }).nextCursor ?? null) : null;
    } catch (error) {
      ctx.count(`peer listing failed: ${error instanceof Error ? error.name : String(error)}`);
      return null;
    } finally {
      slowestListingMs = Math.max(slowestListingMs, performance.now() - startedAt);
    }
  };
  const listPeers = async () => {
    let cursor = await listPage(null);
    while (cursor !== null && !ctx.stopped) cursor = await listPage(cursor);
  };
  // Every watcher leaves and joins again once a second (a repeat subscribe sends no roster, a new
  // subscription does); the whole listing is walked once a second, as a tenant's backend polling
  // GET /v1/channels/:channel/peers would.
  const listings: Array<Promise<void>> = [];
  await Promise.all([
    ctx.every(ROSTER_WATCHERS, (seq) => {
      const ws = watchers[seq % watchers.length];
      if (ws?.readyState !== WebSocket.OPEN) return;
      ws.send(frame({ type: "unsubscribe", channel }));
      ws.send(frame({ type: "subscribe", channel }));
      ctx.count("presence re-subscribe sent");
    }),
    ctx.every(1, () => listings.push(listPeers())),
  ]);
  await Promise.all(listings);
  ctx.notes.push(`slowest peer listing page: ${Math.round(slowestListingMs)} ms`);
}

async function sharedPeerId(ctx: AttackContext): Promise<void> {
  const peerId = "shared-peer";
  const token = await ctx.tokenQuery(ctx.keys.secretKey, { sub: peerId });
  await ctx.connectMany(SHARED_PEER_CONNECTIONS, CONNECTS_IN_FLIGHT, () => token, {
    onFrame: (type, data) => {
      if (type !== "direct") return;
      ctx.count("direct frame received");
      ctx.count("direct bytes received", data.length);
    },
  });
  const senders = await ctx.connectMany(DIRECT_SENDERS, DIRECT_SENDERS, (i) => ctx.tokenQuery(ctx.keys.secretKey, { sub: `sender-${i}`, claims: { permissions: ["send"] } }), {
    onFrame: (type) => type === "ack" && ctx.count("send acked"),
  });
  const send = frame({ type: "send", to: peerId, data: DIRECT_PAYLOAD });
  // Within the default message burst (200), so every send is accepted by the bucket.
  for (const ws of senders) for (let i = 0; i < DIRECT_SENDS_PER_SENDER; i++) ws.send(send);
  ctx.count("send sent", senders.length * DIRECT_SENDS_PER_SENDER);
  ctx.setUp();
  await ctx.untilStopped();
}

export const ATTACK_RUNNERS: Record<AttackName, (ctx: AttackContext) => Promise<void>> = {
  "wildcard-publish": wildcardPublish,
  "pattern-subscribe": patternSubscribe,
  "ping-flood": pingFlood,
  "presence-churn": presenceChurn,
  "heavy-connections": heavyConnections,
  "half-open": halfOpen,
  "big-roster": bigRoster,
  "shared-peer-id": sharedPeerId,
};
