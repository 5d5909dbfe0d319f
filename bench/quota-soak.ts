// Soak benchmark (a script, not a test): `npm run bench:quota-soak`, about 7 minutes.
// An app with a message quota gets steady traffic for SOAK_SECONDS, first on one relay process
// (in-memory state), then on three relay processes sharing a bench-owned redis-server, with the
// production timers (usage flush every 10 s, snapshot refresh every 60 s), so every run crosses
// many flushes and several snapshot refreshes after the quota is used up. Printed per setup: what the
// clients saw accepted and refused against the quota, and what the control plane recorded (a fake
// control plane over HTTP that applies usage batches exactly once and folds them into its snapshot,
// as the real one does). Settings: SOAK_SECONDS (default 180), QUOTA (default 12000).
import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";
import { FakeControlPlane, RELAY_SECRET, appFixture, firstSecretKey, mintToken } from "../relay/test/helpers";
import { RelayCluster } from "../relay/test/multinode/cluster";
import type { RelayNode } from "../relay/test/multinode/cluster";
import { PrivateRedis } from "../relay/test/multinode/redis-server";

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const QUOTA = Number(process.env.QUOTA ?? 12_000);
const CLIENTS_PER_SETUP = 9;
/** Per client: 9 clients × 20/s = 180 publishes/s, so the quota is used up after about a third of the run. */
const RATE_PER_CLIENT = 20;
const USAGE_FLUSH_MS = 10_000;
const PLAN_CACHE_REFRESH_MS = 60_000;
const COUNTER_SYNC_MS = 200;
const SETTLE_MS = USAGE_FLUSH_MS * 2 + 2_000;

interface Publisher {
  ws: WebSocket;
  sent: number;
  accepted: number;
  refused: number;
  other: number;
  /** Accepted per minute of the run (to show the quota holds after it is used up). */
  acceptedByMinute: number[];
}

interface SoakResult {
  setup: string;
  nodes: number;
  sent: number;
  accepted: number;
  refused: number;
  other: number;
  recordedAccepted: number;
  recordedRefused: number;
  acceptedByMinute: number[];
  firstRefusalAtS: number | null;
}

async function openPublisher(relay: RelayNode, app: ReturnType<typeof appFixture>, startedAt: { ms: number }, firstRefusal: { atMs: number | null }): Promise<Publisher> {
  const token = await mintToken(firstSecretKey(app), { sub: `soak-${randomBytes(4).toString("hex")}` });
  const ws = new WebSocket(`${relay.url}/v1?token=${token}`, { perMessageDeflate: false });
  const publisher: Publisher = { ws, sent: 0, accepted: 0, refused: 0, other: 0, acceptedByMinute: [] };
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("error", reject);
    ws.once("close", (code) => reject(new Error(`closed ${code}`)));
  });
  ws.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString("utf8")) as { type: string; code?: string };
    if (frame.type === "ack") {
      publisher.accepted += 1;
      const minute = Math.floor((Date.now() - startedAt.ms) / 60_000);
      publisher.acceptedByMinute[minute] = (publisher.acceptedByMinute[minute] ?? 0) + 1;
    } else if (frame.type === "error" && frame.code === "over_message_quota") {
      publisher.refused += 1;
      firstRefusal.atMs ??= Date.now();
    } else if (frame.type === "error") publisher.other += 1;
  });
  return publisher;
}

async function soak(setup: string, controlPlane: FakeControlPlane, nodes: RelayNode[]): Promise<SoakResult> {
  const app = appFixture({ limits: { maxMessagesPerPeriod: QUOTA, connectAttemptsPerIpPerMinute: 100_000 } });
  controlPlane.setApps([...controlPlane.apps, app]);
  // The nodes learn of the app at their next snapshot refresh; an unknown key triggers one at once.
  const startedAt = { ms: 0 };
  const firstRefusal: { atMs: number | null } = { atMs: null };
  const publishers: Publisher[] = [];
  for (let i = 0; i < CLIENTS_PER_SETUP; i++) {
    const relay = nodes[i % nodes.length];
    if (!relay) continue;
    for (let attempt = 0; ; attempt++) {
      try {
        publishers.push(await openPublisher(relay, app, startedAt, firstRefusal));
        break;
      } catch (error) {
        if (attempt > 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_100));
      }
    }
  }
  startedAt.ms = Date.now();
  const intervalMs = 1000 / RATE_PER_CLIENT;
  const endAtMs = startedAt.ms + SOAK_SECONDS * 1000;
  await Promise.all(
    publishers.map(async (publisher, index) => {
      for (let next = startedAt.ms + (intervalMs * index) / publishers.length; next < endAtMs; next += intervalMs) {
        const waitMs = next - Date.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        publisher.ws.send(JSON.stringify({ type: "publish", channel: "soak", data: publisher.sent, requestId: `p${publisher.sent}` }));
        publisher.sent += 1;
      }
    }),
  );
  // Let every answer arrive and the last usage batches reach the control plane.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (const publisher of publishers) publisher.ws.close();
  const recorded = controlPlane.applied(app.appId);
  const acceptedByMinute: number[] = [];
  for (const publisher of publishers) publisher.acceptedByMinute.forEach((count, minute) => (acceptedByMinute[minute] = (acceptedByMinute[minute] ?? 0) + (count ?? 0)));
  const sum = (pick: (p: Publisher) => number) => publishers.reduce((total, p) => total + pick(p), 0);
  return {
    setup,
    nodes: nodes.length,
    sent: sum((p) => p.sent),
    accepted: sum((p) => p.accepted),
    refused: sum((p) => p.refused),
    other: sum((p) => p.other),
    recordedAccepted: recorded.messagesAccepted,
    recordedRefused: recorded.softDrops,
    acceptedByMinute: Array.from(acceptedByMinute, (count) => count ?? 0),
    firstRefusalAtS: firstRefusal.atMs === null ? null : Math.round((firstRefusal.atMs - startedAt.ms) / 100) / 10,
  };
}

function report(result: SoakResult): void {
  const offeredPerSecond = result.sent / SOAK_SECONDS;
  const boundPerNodes = result.nodes > 1 ? Math.ceil(offeredPerSecond * (COUNTER_SYNC_MS / 1000) + 0.01 * QUOTA) : 0;
  console.log(`\n${result.setup} (${result.nodes} node${result.nodes > 1 ? "s" : ""}), ${SOAK_SECONDS} s at ${offeredPerSecond.toFixed(0)} publishes/s, quota ${QUOTA}`);
  console.log(`  sent ${result.sent}, accepted ${result.accepted} (quota ${QUOTA}, ${result.accepted - QUOTA >= 0 ? "+" : ""}${result.accepted - QUOTA}), refused ${result.refused}, other answers ${result.other}`);
  console.log(`  first refusal at ${result.firstRefusalAtS ?? "-"} s; accepted per minute: ${result.acceptedByMinute.join(", ")}`);
  console.log(`  control plane recorded: messagesUsed ${result.recordedAccepted}, softDrops ${result.recordedRefused}`);
  console.log(`  recorded = seen by clients: ${result.recordedAccepted === result.accepted && result.recordedRefused === result.refused ? "yes" : "NO"}`);
  if (result.nodes > 1) console.log(`  documented bound |accepted - quota| <= ${boundPerNodes} (one ${COUNTER_SYNC_MS} ms counter sync of traffic + 1 % of the quota)`);
}

async function main(): Promise<void> {
  const controlPlane = await new FakeControlPlane().start();
  const redis = new PrivateRedis();
  await redis.start();
  const env = {
    USAGE_FLUSH_MS: String(USAGE_FLUSH_MS),
    PLAN_CACHE_REFRESH_MS: String(PLAN_CACHE_REFRESH_MS),
    REDIS_COUNTER_SYNC_MS: String(COUNTER_SYNC_MS),
  };
  const results: SoakResult[] = [];
  try {
    const single = new RelayCluster({ redisUrl: redis.url, controlPlaneUrl: controlPlane.url, relaySecret: RELAY_SECRET, keyPrefix: `soak:${randomBytes(3).toString("hex")}:`, env });
    try {
      const node = await single.startNode({}, { memoryState: true });
      results.push(await soak("single relay, in-memory state", controlPlane, [node]));
      report(results[results.length - 1] as SoakResult);
    } finally {
      await single.stop();
    }
    const three = new RelayCluster({ redisUrl: redis.url, controlPlaneUrl: controlPlane.url, relaySecret: RELAY_SECRET, keyPrefix: `soak:${randomBytes(3).toString("hex")}:`, env });
    try {
      const nodes = await three.start(3);
      results.push(await soak("three relays, Redis state", controlPlane, nodes));
      report(results[results.length - 1] as SoakResult);
    } finally {
      await three.stop();
    }
  } finally {
    await redis.stop();
    await controlPlane.stop();
  }
  console.log(`\n${JSON.stringify({ soakSeconds: SOAK_SECONDS, quota: QUOTA, results })}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
