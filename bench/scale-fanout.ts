// Benchmark (a script, not a test): `npm run bench:scale-fanout`, about 4 minutes.
// What does a relay node spend on the other nodes' traffic as the fleet grows? K nodes, each with only
// local traffic: three real relay processes (each with its own app: SUBSCRIBERS subscribers and one
// publisher sending RATE messages/s), and for K = 10 and 50 the other K − 3 nodes simulated by
// publishers in this process that send what a node with the same local traffic sends to Redis: a
// batch of channel messages of its own app every BATCH_MS, on its app's topic.
// Two designs, both run against the current relay, on a single Redis and on a three-master Redis Cluster:
//   interest  — as the relay works now: each simulated node publishes on its own app's topic, which no
//               real node listens to;
//   broadcast — the design before it (one channel every node heard): each simulated node's batch is
//               also published on every real node's topic, naming an app the node has no subscriber
//               of, so the node does what it did then with a foreign batch: parse it and find nobody.
// Reported per row: the foreign events each real node received per second (its `relay_redis_events_
// received_total`), and its CPU share spent on them: 1 − (its local deliveries × its CPU per local
// delivery in the same round's local-only phases, one before each design's) ÷ its CPU, from /proc, so
// a phase whose local traffic came out a little lower or higher is not mistaken for fan-out cost; the
// median over ROUNDS rounds of the mean over the three nodes. A warm-up phase comes first; phases take
// turns within each round so load drift hits every row alike. Goal (issue 24): ≤ 2 % at 50 nodes.
import { randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { WebSocket } from "ws";
import { RedisKeys } from "../relay/src/state/redis/keys";
import type { SnapshotApp } from "../relay/src/protocol";
import { FakeControlPlane, METRICS_TOKEN, RELAY_SECRET, appFixture, firstSecretKey, mintToken } from "../relay/test/helpers";
import { RelayCluster, cpuSeconds } from "../relay/test/multinode/cluster";
import type { RelayNode } from "../relay/test/multinode/cluster";
import { testRedisBackends } from "../relay/test/multinode/test-redis";
import type { TestRedis } from "../relay/test/multinode/test-redis";

const REAL_NODES = 3;
const FLEET_SIZES = [10, 50];
const RATE = Number(process.env.BENCH_RATE ?? 500);
const SUBSCRIBERS = 4;
/**
 * A simulated node's batch interval: the real nodes publish one batch per event-loop turn, which with
 * this bench's publishers (a burst every tick) is about one per tick.
 */
const TICK_MS = 10;
const BATCH_MS = TICK_MS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 5);
const WARMUP_PHASES = 3;
const WARMUP_MS = 1_000;
const CHANNEL = "bench/fanout";
const KEY_PREFIX = `tg-scale-fanout:${randomBytes(4).toString("hex")}:`;

type Design = "interest" | "broadcast";

interface Phase {
  fleet: number;
  design: Design | null;
}

interface PhaseResult {
  /** Per real node: CPU seconds, local deliveries and foreign events received, each per second. */
  cpuPerSecond: number[];
  deliveredPerSecond: number[];
  foreignPerSecond: number[];
  redisCpuPerSecond: number;
}

const limits = { maxConcurrentConnections: 10_000, maxMessagesPerPeriod: 1_000_000_000, tokenBucketRefillPerSecond: 100_000, tokenBucketBurst: 100_000, connectAttemptsPerIpPerMinute: 100_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

async function open(relay: RelayNode, app: SnapshotApp, permissions: string[]): Promise<WebSocket> {
  const token = await mintToken(firstSecretKey(app), { sub: `peer-${randomBytes(4).toString("hex")}`, claims: { permissions } });
  const ws = new WebSocket(`${relay.url}/v1?token=${token}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

/** A real node's local traffic: subscribers of its app's channel and one publisher. */
async function localTraffic(relay: RelayNode, app: SnapshotApp, counter: { delivered: number }): Promise<WebSocket> {
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = await open(relay, app, ["subscribe"]);
    await new Promise<void>((resolve) => {
      ws.on("message", (data: Buffer) => {
        if (data.includes('"type":"message"')) counter.delivered += 1;
        else resolve();
      });
      ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
    });
  }
  return open(relay, app, ["publish"]);
}

async function eventsReceived(relay: RelayNode): Promise<number> {
  const response = await fetch(`${relay.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return Number(/^relay_redis_events_received_total (\d+)$/m.exec(await response.text())?.[1] ?? NaN);
}

/** One simulated node's batch (the relay's bus envelope: origin, kind "m", the event). */
function simulatedBatch(nodeIndex: number, appId: string): string {
  const perBatch = Math.max(1, Math.round((RATE * BATCH_MS) / 1000));
  const envelope = JSON.stringify({ o: `simulated-${nodeIndex}`, k: "m", e: { appId, channel: CHANNEL, fromPeerId: "simulated", dataJson: '{"n":1}' } });
  return `[${Array.from({ length: perBatch }, () => envelope).join(",")}]`;
}

async function measure(
  backend: TestRedis,
  redis: Redis | Cluster,
  cluster: boolean,
  realNodes: RelayNode[],
  realApps: SnapshotApp[],
  publishers: WebSocket[],
  counters: Array<{ delivered: number }>,
  phase: Phase,
): Promise<PhaseResult> {
  const keys = new RedisKeys(KEY_PREFIX);
  const simulated = Array.from({ length: phase.design ? phase.fleet - REAL_NODES : 0 }, (_, i) => {
    const appId = `app_simulated_${i}`;
    const topics = phase.design === "broadcast" ? realApps.map((app) => keys.appTopic(app.appId)) : [keys.appTopic(appId)];
    return { topics, batch: simulatedBatch(i, appId) };
  });
  // Sends what the elapsed time calls for at each tick, so a late timer does not lower the rate.
  const phaseStart = performance.now();
  let published = 0;
  let batches = 0;
  let seq = 0;
  const tick = setInterval(() => {
    const elapsedMs = performance.now() - phaseStart;
    for (const due = Math.floor((elapsedMs * RATE) / 1000); published < due; published++) {
      for (const publisher of publishers) publisher.send(`{"type":"publish","channel":"${CHANNEL}","data":{"n":${++seq}}}`);
    }
    for (const due = Math.floor(elapsedMs / BATCH_MS); batches < due; batches++) {
      for (const node of simulated) {
        for (const topic of node.topics) void (cluster ? redis.spublish(topic, node.batch) : redis.publish(topic, node.batch));
      }
    }
  }, TICK_MS);
  await sleep(WARMUP_MS);
  const pids = realNodes.map((relay) => relay.child.pid ?? 0);
  const cpuBefore = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  const redisBefore = await Promise.all(backend.pids().map((pid) => cpuSeconds(pid)));
  const receivedBefore = await Promise.all(realNodes.map(eventsReceived));
  const deliveredBefore = counters.map((counter) => counter.delivered);
  const startedAt = performance.now();
  await sleep(PHASE_SECONDS * 1000);
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuAfter = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  const redisAfter = await Promise.all(backend.pids().map((pid) => cpuSeconds(pid)));
  const receivedAfter = await Promise.all(realNodes.map(eventsReceived));
  const deliveredAfter = counters.map((counter) => counter.delivered);
  clearInterval(tick);
  await sleep(300);
  return {
    cpuPerSecond: cpuAfter.map((cpu, i) => (cpu - (cpuBefore[i] ?? 0)) / seconds),
    deliveredPerSecond: deliveredAfter.map((count, i) => (count - (deliveredBefore[i] ?? 0)) / seconds),
    foreignPerSecond: receivedAfter.map((count, i) => (count - (receivedBefore[i] ?? 0)) / seconds),
    redisCpuPerSecond: (redisAfter.reduce((a, b) => a + b, 0) - redisBefore.reduce((a, b) => a + b, 0)) / seconds,
  };
}

interface Row {
  backend: string;
  fleet: number;
  design: Design;
  foreignPerSecond: number;
  share: number;
  shares: number[];
  /** Foreign events × CPU per foreign event (fitted on this backend's broadcast phases) ÷ the node's CPU. */
  modelled: number;
  redisCpu: number;
}

async function runBackend(name: string, backend: TestRedis): Promise<Row[]> {
  await backend.start();
  const controlPlane = await new FakeControlPlane().start();
  const realApps = Array.from({ length: REAL_NODES }, () => appFixture({ limits }));
  controlPlane.setApps(realApps);
  const relays = new RelayCluster({ controlPlaneUrl: controlPlane.url, relaySecret: RELAY_SECRET, keyPrefix: KEY_PREFIX, env: { ...backend.relayEnv(), CONNECT_RATE_PER_IP: "1000000" } });
  const redis = backend.client();
  const cluster = "REDIS_CLUSTER_NODES" in backend.relayEnv();
  try {
    const realNodes = await relays.start(REAL_NODES);
    const counters = realNodes.map(() => ({ delivered: 0 }));
    const publishers = await Promise.all(realNodes.map((relay, i) => localTraffic(relay, realApps[i] as SnapshotApp, counters[i] as { delivered: number })));
    const localOnly: Phase = { fleet: REAL_NODES, design: null };
    const phases: Phase[] = (["interest", "broadcast"] as const).flatMap((design) => [localOnly, ...FLEET_SIZES.map((fleet) => ({ fleet, design }))]);
    const results = new Map<string, PhaseResult[]>();
    // Warm-up: the relays' first seconds of traffic cost more (compilation) than the rest.
    for (let i = 0; i < WARMUP_PHASES; i++) await measure(backend, redis, cluster, realNodes, realApps, publishers, counters, i === 1 ? { fleet: 50, design: "broadcast" } : localOnly);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const phase of phases) {
        const result = await measure(backend, redis, cluster, realNodes, realApps, publishers, counters, phase);
        const key = `${phase.fleet}:${phase.design ?? "local"}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        const local = RATE * SUBSCRIBERS;
        process.stderr.write(
          `${name} round ${round} ${key}: relay CPU ${result.cpuPerSecond.map((c) => `${(c * 100).toFixed(1)} %`).join(" ")}, foreign ${mean(result.foreignPerSecond).toFixed(0)}/s per node, delivered ${mean(result.deliveredPerSecond).toFixed(0)}/s per node of ${local}/s\n`,
        );
      }
    }
    // Two local-only phases per round: their mean CPU per delivery is the round's baseline.
    const locals = results.get(`${REAL_NODES}:local`) ?? [];
    const baseline = Array.from({ length: ROUNDS }, (_, round) => {
      const pair = locals.slice(round * 2, round * 2 + 2);
      return {
        cpuPerSecond: realNodes.map((_, node) => mean(pair.map((run) => run.cpuPerSecond[node] ?? 0))),
        deliveredPerSecond: realNodes.map((_, node) => mean(pair.map((run) => run.deliveredPerSecond[node] ?? 0))),
      };
    });
    const rows = phases
      .filter((phase): phase is Phase & { design: Design } => phase.design !== null)
      .map((phase) => {
        const runs = results.get(`${phase.fleet}:${phase.design}`) ?? [];
        // Per round: each node's CPU beyond what its local deliveries cost in the same round's local-only phase, as a share of its CPU.
        const shares = runs.map((run, round) =>
          mean(
            run.cpuPerSecond.map((cpu, node) => {
              const base = baseline[round];
              const perDelivery = (base?.cpuPerSecond[node] ?? 0) / (base?.deliveredPerSecond[node] ?? 1);
              return 1 - ((run.deliveredPerSecond[node] ?? 0) * perDelivery) / cpu;
            }),
          ),
        );
        return {
          backend: name,
          fleet: phase.fleet,
          design: phase.design,
          foreignPerSecond: median(runs.map((run) => mean(run.foreignPerSecond))),
          share: median(shares),
          shares,
          modelled: 0,
          redisCpu: median(runs.map((run) => run.redisCpuPerSecond)),
          cpu: median(runs.map((run) => mean(run.cpuPerSecond))),
          extraCpu: median(runs.map((run, round) => mean(run.cpuPerSecond.map((cpu, node) => cpu - (run.deliveredPerSecond[node] ?? 0) * ((baseline[round]?.cpuPerSecond[node] ?? 0) / (baseline[round]?.deliveredPerSecond[node] ?? 1)))))),
        };
      });
    // CPU per foreign event: the extra CPU of the broadcast phases over the foreign events they brought.
    const broadcast = rows.filter((row) => row.design === "broadcast" && row.foreignPerSecond > 0);
    const cpuPerForeignEvent = broadcast.reduce((sum, row) => sum + row.extraCpu, 0) / broadcast.reduce((sum, row) => sum + row.foreignPerSecond, 0);
    process.stderr.write(`${name}: ${(cpuPerForeignEvent * 1e6).toFixed(2)} µs of relay CPU per foreign event\n`);
    return rows.map(({ cpu, extraCpu: _extra, ...row }) => ({ ...row, modelled: (row.foreignPerSecond * cpuPerForeignEvent) / cpu }));
  } finally {
    redis.disconnect();
    await relays.stop();
    await controlPlane.stop();
    await backend.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const { name, create } of testRedisBackends) rows.push(...(await runBackend(name, create())));
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  console.log(`\nEach node: ${RATE} messages/s to ${SUBSCRIBERS} local subscribers; ${REAL_NODES} real nodes, the rest simulated; ${ROUNDS} rounds of ${PHASE_SECONDS} s.`);
  console.log("| Redis | nodes | design | foreign events per node | CPU share on them: events × cost | measured (median; rounds) | Redis CPU |");
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) {
    console.log(
      `| ${row.backend} | ${row.fleet} | ${row.design} | ${row.foreignPerSecond.toFixed(0)}/s | ${percent(row.modelled)} | ${percent(row.share)} (${row.shares.map(percent).join(", ")}) | ${percent(row.redisCpu)} of a core |`,
    );
  }
  for (const backend of new Set(rows.map((row) => row.backend))) {
    const at50 = rows.find((row) => row.backend === backend && row.fleet === 50 && row.design === "interest");
    if (at50) console.log(`${backend}, 50 nodes, interest: ${at50.foreignPerSecond.toFixed(0)} foreign events/s per node, ${percent(at50.modelled)} of its CPU (goal ≤ 2 %: ${at50.modelled <= 0.02 ? "met" : "missed"}); measured ${percent(at50.share)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
