// Benchmark (a script, not a test): `npx tsx bench/relay-multinode.ts`, about 2 minutes.
// The same offered load against three setups, measured in this one run:
//   single — one relay process, in-memory state (the default without REDIS_URL);
//   3-node — three relay processes sharing a bench-owned redis-server, connections spread evenly;
//   frozen — the 3-node setup with that redis-server stopped by SIGSTOP for 30 s.
// Load: SUBSCRIBERS subscribers on one channel and one publisher per node (three for the single
// node too), each publishing RATE messages/s. Reported per setup: deliveries/s against what was
// offered, relay CPU per delivery (sum over relay processes; with Redis's own CPU as a second figure),
// and publish→ack latency (the hot path must not wait on Redis, frozen or not). A closed-loop phase
// (each publisher keeps WINDOW messages in flight until every subscriber has it) gives the maximum
// throughput of single vs 3-node. Single and 3-node run side by side and take turns over ROUNDS
// rounds; their ratios are medians of per-round ratios. The frozen run comes last, compared with the
// last round's 3-node phase.
import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";
import { FakeControlPlane, RELAY_SECRET, appFixture, firstSecretKey, mintToken } from "../relay/test/helpers";
import { RelayCluster, cpuSeconds } from "../relay/test/multinode/cluster";
import type { RelayNode } from "../relay/test/multinode/cluster";
import { PrivateRedis } from "../relay/test/multinode/redis-server";
import { percentile } from "./bench-stats";

const SUBSCRIBERS = 45;
const RATE = 100;
const ROUNDS = 3;
const STEADY_SECONDS = 5;
const FROZEN_SECONDS = 30;
const WARMUP_MS = 1_500;
const WINDOW = 8;
const SATURATION_SECONDS = 4;
const CHANNEL = "bench/multinode";

const app = appFixture({
  limits: { maxConcurrentConnections: 10_000, maxMessagesPerPeriod: 1_000_000_000, tokenBucketRefillPerSecond: 100_000, tokenBucketBurst: 100_000, connectAttemptsPerIpPerMinute: 100_000 },
});

interface Client {
  ws: WebSocket;
  received: number;
}

interface Publisher {
  ws: WebSocket;
  seq: number;
  sentAt: Map<string, number>;
  ackLatenciesMs: number[];
}

interface SteadyResult {
  deliveredPerSecond: number;
  offeredPerSecond: number;
  relayCpuMicrosPerDelivery: number;
  totalCpuMicrosPerDelivery: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

async function open(url: string, sub: string, permissions: string[]): Promise<WebSocket> {
  const token = await mintToken(firstSecretKey(app), { sub: `${sub}-${randomBytes(3).toString("hex")}`, claims: { permissions } });
  const ws = new WebSocket(`${url}/v1?token=${token}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("error", reject);
    ws.once("close", (code) => reject(new Error(`closed ${code}`)));
  });
  return ws;
}

async function subscriber(relay: RelayNode, index: number): Promise<Client> {
  // Subscribe only: no presence traffic in the measurement.
  const ws = await open(relay.url, `sub-${index}`, ["subscribe"]);
  const client: Client = { ws, received: 0 };
  const subscribed = new Promise<void>((resolve) => {
    ws.on("message", (data: Buffer) => {
      // The subscribe ack is the only other frame a subscribe-only client gets.
      if (data.includes('"type":"message"')) client.received += 1;
      else resolve();
    });
  });
  ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
  await subscribed;
  return client;
}

async function publisher(relay: RelayNode, index: number): Promise<Publisher> {
  const ws = await open(relay.url, `pub-${index}`, ["publish"]);
  const result: Publisher = { ws, seq: 0, sentAt: new Map(), ackLatenciesMs: [] };
  ws.on("message", (data: Buffer) => {
    const text = data.toString();
    const match = /"requestId":"([^"]+)"/.exec(text);
    if (!match?.[1]) return;
    const sentAt = result.sentAt.get(match[1]);
    if (sentAt === undefined) return;
    result.sentAt.delete(match[1]);
    result.ackLatenciesMs.push(performance.now() - sentAt);
  });
  return result;
}

function publish(p: Publisher): void {
  const requestId = `p${++p.seq}`;
  p.sentAt.set(requestId, performance.now());
  p.ws.send(`{"type":"publish","channel":"${CHANNEL}","data":{"n":${p.seq}},"requestId":"${requestId}"}`);
}

async function cpuOf(pids: number[]): Promise<number> {
  const values = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  return values.reduce((sum, value) => sum + value, 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open loop: every publisher sends RATE/s in 10 ms ticks for `seconds`; measures deliveries, CPU and ack latency. */
async function steady(relayPids: number[], redisPid: number | undefined, subscribers: Client[], publishers: Publisher[], seconds: number, during?: () => void): Promise<SteadyResult> {
  const perTick = RATE / 100;
  let carry = 0;
  const tick = setInterval(() => {
    carry += perTick;
    while (carry >= 1) {
      for (const p of publishers) publish(p);
      carry -= 1;
    }
  }, 10);
  await sleep(WARMUP_MS);
  during?.();
  for (const p of publishers) p.ackLatenciesMs.length = 0;
  const receivedBefore = subscribers.reduce((sum, c) => sum + c.received, 0);
  const relayCpuBefore = await cpuOf(relayPids);
  const redisCpuBefore = redisPid ? await cpuSeconds(redisPid) : 0;
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const delivered = subscribers.reduce((sum, c) => sum + c.received, 0) - receivedBefore;
  const relayCpu = (await cpuOf(relayPids)) - relayCpuBefore;
  const redisCpu = redisPid ? (await cpuSeconds(redisPid)) - redisCpuBefore : 0;
  clearInterval(tick);
  await sleep(500);
  const acks = publishers.flatMap((p) => p.ackLatenciesMs);
  return {
    deliveredPerSecond: delivered / elapsedSeconds,
    offeredPerSecond: publishers.length * RATE * subscribers.length,
    relayCpuMicrosPerDelivery: (relayCpu * 1e6) / Math.max(1, delivered),
    totalCpuMicrosPerDelivery: ((relayCpu + redisCpu) * 1e6) / Math.max(1, delivered),
    ackP50Ms: percentile(acks, 0.5),
    ackP99Ms: percentile(acks, 0.99),
  };
}

/** Closed loop: each publisher keeps WINDOW messages in flight until every subscriber has them. */
async function saturate(subscribers: Client[], publishers: Publisher[]): Promise<number> {
  const total = () => subscribers.reduce((sum, c) => sum + c.received, 0);
  const base = total();
  let published = 0;
  const deadline = performance.now() + SATURATION_SECONDS * 1000;
  const startedAt = performance.now();
  while (performance.now() < deadline) {
    const completed = Math.floor((total() - base) / subscribers.length);
    while (published - completed < WINDOW * publishers.length) {
      for (const p of publishers) publish(p);
      published += publishers.length;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const delivered = total() - base;
  const rate = delivered / ((performance.now() - startedAt) / 1000);
  await sleep(1_000);
  return rate;
}

/** Connections are spread round-robin over the nodes. */
function nodeFor(nodes: RelayNode[], index: number): RelayNode {
  const node = nodes[index % nodes.length];
  if (!node) throw new Error("no relay node");
  return node;
}

interface Setup {
  pids: number[];
  redisPid: number | undefined;
  subscribers: Client[];
  publishers: Publisher[];
}

async function connectClients(nodes: RelayNode[], redisPid: number | undefined): Promise<Setup> {
  const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => subscriber(nodeFor(nodes, i), i)));
  const publishers = await Promise.all([0, 1, 2].map((i) => publisher(nodeFor(nodes, i), i)));
  return { pids: pidsOf(nodes), redisPid, subscribers, publishers };
}

function disconnect(setup: Setup): void {
  for (const client of [...setup.subscribers, ...setup.publishers]) client.ws.terminate();
}

const median = (values: number[]) => percentile(values, 0.5);

function pidsOf(nodes: RelayNode[]): number[] {
  return nodes.map((node) => node.child.pid).filter((pid): pid is number => typeof pid === "number");
}

async function main(): Promise<void> {
  const redis = await new PrivateRedis().start();
  const controlPlane = await new FakeControlPlane().start();
  controlPlane.setApps([app]);
  const cluster = new RelayCluster({
    redisUrl: redis.url,
    controlPlaneUrl: controlPlane.url,
    relaySecret: RELAY_SECRET,
    keyPrefix: `bench:${randomBytes(4).toString("hex")}:`,
    env: { USAGE_FLUSH_MS: "2000", PLAN_CACHE_REFRESH_MS: "600000" },
  });
  const setups: Setup[] = [];
  try {
    console.log(`offered: 3 publishers × ${RATE} msgs/s × ${SUBSCRIBERS} subscribers = ${3 * RATE * SUBSCRIBERS} deliveries/s; ${ROUNDS} interleaved rounds`);
    // Both setups stay up side by side (an idle relay costs ~1 % of a core) and take turns, so the
    // machine's load drift hits both alike; ratios are medians of the per-round ratios.
    const single = await cluster.startNode({}, { memoryState: true });
    const nodes = await Promise.all([cluster.startNode(), cluster.startNode(), cluster.startNode()]);
    const singleSetup = await connectClients([single], undefined);
    setups.push(singleSetup);
    const multiSetup = await connectClients(nodes, redis.pid);
    setups.push(multiSetup);
    const rounds: Array<{ single: SteadyResult; multi: SteadyResult; singleMax: number; multiMax: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [singleSetup, multiSetup] : [multiSetup, singleSetup];
      const steadyResults = new Map<Setup, SteadyResult>();
      for (const setup of order) steadyResults.set(setup, await steady(setup.pids, setup.redisPid, setup.subscribers, setup.publishers, STEADY_SECONDS));
      const maxResults = new Map<Setup, number>();
      for (const setup of order) maxResults.set(setup, await saturate(setup.subscribers, setup.publishers));
      const result = (setup: Setup) => {
        const found = steadyResults.get(setup);
        if (!found) throw new Error("missing result");
        return found;
      };
      rounds.push({ single: result(singleSetup), multi: result(multiSetup), singleMax: maxResults.get(singleSetup) ?? 0, multiMax: maxResults.get(multiSetup) ?? 0 });
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }

    const frozen = await steady(multiSetup.pids, undefined, multiSetup.subscribers, multiSetup.publishers, FROZEN_SECONDS, () => redis.freeze());
    redis.thaw();
    const thawedAt = Date.now();
    const reconciled = () => nodes.every((node) => node.output().includes('"msg":"redis available again; local view reconciled"'));
    while (!reconciled() && Date.now() - thawedAt < 10_000) await sleep(50);
    const reconcileMs = Date.now() - thawedAt;
    const crashed = nodes.filter((node) => node.child.exitCode !== null);
    // The last round's 3-node steady phase is the reference for the frozen run (closest in time).
    const lastMulti = rounds[rounds.length - 1]?.multi;
    if (!lastMulti) throw new Error("no rounds");

    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const summary = (pick: (r: (typeof rounds)[number]) => SteadyResult): SteadyResult => ({
      deliveredPerSecond: med((r) => pick(r).deliveredPerSecond),
      offeredPerSecond: lastMulti.offeredPerSecond,
      relayCpuMicrosPerDelivery: med((r) => pick(r).relayCpuMicrosPerDelivery),
      totalCpuMicrosPerDelivery: med((r) => pick(r).totalCpuMicrosPerDelivery),
      ackP50Ms: med((r) => pick(r).ackP50Ms),
      ackP99Ms: med((r) => pick(r).ackP99Ms),
    });
    const row = (name: string, r: SteadyResult) =>
      `| ${name} | ${Math.round(r.deliveredPerSecond)} (${((100 * r.deliveredPerSecond) / r.offeredPerSecond).toFixed(0)} % of offered) | ${r.relayCpuMicrosPerDelivery.toFixed(2)} | ${r.totalCpuMicrosPerDelivery.toFixed(2)} | ${r.ackP50Ms.toFixed(1)} / ${r.ackP99Ms.toFixed(1)} |`;
    const x = (value: number) => `${value.toFixed(2)}×`;
    console.log("");
    console.log("| setup (medians over rounds) | deliveries/s | relay CPU µs/delivery | relay+Redis CPU µs/delivery | publish→ack p50 / p99 (ms) |");
    console.log("|---|---|---|---|---|");
    console.log(row("single node (memory)", summary((r) => r.single)));
    console.log(row("3 nodes (Redis)", summary((r) => r.multi)));
    console.log(row(`3 nodes, Redis frozen ${FROZEN_SECONDS} s (one run)`, frozen));
    console.log("");
    console.log(
      `3 nodes vs single (median of per-round ratios): deliveries/s ${x(med((r) => r.multi.deliveredPerSecond / r.single.deliveredPerSecond))}, ` +
        `relay CPU/delivery ${x(med((r) => r.multi.relayCpuMicrosPerDelivery / r.single.relayCpuMicrosPerDelivery))}, ` +
        `relay+Redis CPU/delivery ${x(med((r) => r.multi.totalCpuMicrosPerDelivery / r.single.relayCpuMicrosPerDelivery))}, ` +
        `closed-loop max deliveries/s ${x(med((r) => r.multiMax / r.singleMax))} (medians: 3 nodes ${Math.round(med((r) => r.multiMax))}, single ${Math.round(med((r) => r.singleMax))})`,
    );
    console.log(
      `frozen vs 3 nodes (last round): deliveries/s ${x(frozen.deliveredPerSecond / lastMulti.deliveredPerSecond)} (only same-node subscribers are reached), ` +
        `relay CPU/delivery ${x(frozen.relayCpuMicrosPerDelivery / lastMulti.relayCpuMicrosPerDelivery)}, publish→ack p99 ${x(frozen.ackP99Ms / lastMulti.ackP99Ms)}`,
    );
    console.log(`after thaw: every node reconciled within ${reconcileMs} ms; nodes crashed: ${crashed.length}`);
  } finally {
    for (const setup of setups) disconnect(setup);
    redis.thaw();
    await cluster.stop();
    await controlPlane.stop();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
