// Benchmark (a script, not a test): `npm run bench:relay-neighbours` (about 3 minutes; `-- --quick`
// for short rows that only check the harness). Does one tenant's traffic slow another's on a shared
// relay (issue 22)? A quiet tenant (bench/neighbours-quiet-tenant.ts: a ping and a publish every 20 ms)
// is measured alone, then beside each attack of bench/neighbours-attacks.ts, run by another tenant from
// a process of its own (bench/neighbours-attacker.ts). Every row gets a fresh relay: the real entry
// point in its own process, default configuration, in-memory state, against the fake control plane.
// Prints per row the quiet tenant's ping and publish→receive p50/p99, the ratio of each p99 to the
// alone p99 (goal ≤ 2×), the relay's RSS and CPU, whether a fresh connection of the quiet tenant still
// gets in, and what the attacker experienced (connections refused, frames answered rate_limited, closes).
// BENCH_ATTACKS=ping-flood,half-open runs a subset.
import { fork } from "node:child_process";
import os, { setPriority } from "node:os";
import path from "node:path";
import { buildRelay, relayEntryPoint } from "../relay/build.mjs";
import { FALLBACK_OPEN_FILE_LIMIT, readOpenFileLimit } from "../relay/src/enforcement/socket-budget";
import { PlanDefaults } from "../relay/src/protocol";
import type { SnapshotApp } from "../relay/src/protocol";
import { FakeControlPlane, RELAY_SECRET, appFixture, secretKey } from "../relay/test/helpers";
import { RelayCluster, cpuSeconds } from "../relay/test/multinode/cluster";
import type { RelayNode } from "../relay/test/multinode/cluster";
import { percentile, rssBytes } from "./bench-stats";
import { ATTACKS, attackerApp } from "./neighbours-plan";
import type { AttackName, AttackPlan, AttackerEvent, AttackerKeys, AttackerReport } from "./neighbours-plan";
import { QuietTenant } from "./neighbours-quiet-tenant";
import type { PhaseResult } from "./neighbours-quiet-tenant";

const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const ALONE_MS = QUICK ? 1_500 : 4_000;
/** Attack phases last this long, or until SET_UP_SETTLE_MS after the attack reached full strength, at most MAX_ATTACK_MS. */
const ATTACK_MS = QUICK ? 3_000 : 5_000;
const SET_UP_SETTLE_MS = QUICK ? 1_000 : 2_000;
const MAX_ATTACK_MS = 30_000;
/** Time for the relay to let go of what the attack left, before "RSS after close" is read. */
const AFTER_CLOSE_SETTLE_MS = 2_000;
const ATTACKER_STOP_TIMEOUT_MS = 15_000;
const RELAY_BUNDLE_OVERRIDE = process.env.BENCH_RELAY_BUNDLE;
/** The attacker process's niceness (19: the lowest priority). */
const ATTACKER_NICENESS = 19;
const RSS_SAMPLE_MS = 250;
const GOAL_P99_RATIO = 2;
/** Half-open sockets stop this far below the open-file limit, leaving room for everything else. */
const FILE_DESCRIPTOR_MARGIN = 256;
const HALF_OPEN_MAX = 20_000;

const selected = process.env.BENCH_ATTACKS?.split(",") ?? [...ATTACKS];
const attacks = ATTACKS.filter((attack) => selected.includes(attack));

const ROW_TITLES: Record<AttackName, string> = {
  "wildcard-publish": "1. pk: wildcard `**a…**b` subscribers, publishes to `a`×48+",
  "pattern-subscribe": "2. tenant: key pattern `**a…**b`, subscribes to `a`×48+",
  "ping-flood": "3. pk: ping flood over 4 connections",
  "presence-churn": "4. pk: subscribe/unsubscribe flood, 20 presence watchers",
  "heavy-connections": "5. tenant: 1,000 connections, 8+4 KB metadata, 100 × 256 B subscriptions",
  "half-open": "6. anyone: half-open sockets from 80 addresses",
  "big-roster": "7. tenant: 1,500 peers × 4 KB in one channel, 30 presence subscribers, peer listing",
  "shared-peer-id": "8. tenant: 500 connections of one peerId, 300 × 60 KB direct sends",
};

interface RowResult {
  attack: AttackName;
  alone: PhaseResult;
  underAttack: PhaseResult;
  setUpMs: number | null;
  rssMb: { before: number; peak: number; afterClose: number };
  relayCpuPercent: number;
  freshConnect: string;
  relayExit: string | null;
  report: AttackerReport;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** RSS in MB, or NaN once the process is gone. */
function rssMb(pid: number): number {
  try {
    return rssBytes(pid) / 1024 / 1024;
  } catch {
    return Number.NaN;
  }
}

async function cpuOrNaN(pid: number): Promise<number> {
  return cpuSeconds(pid).catch(() => Number.NaN);
}

async function waitUntilReady(node: RelayNode): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${node.httpUrl}/readyz`).then((r) => r.ok, () => false);
    if (ready) return;
    await sleep(50);
  }
  throw new Error("relay did not load its snapshot in time");
}

interface AttackerProcess {
  setUp: Promise<void>;
  start(plan: AttackPlan): void;
  stop(): Promise<AttackerReport>;
}

async function forkAttacker(): Promise<AttackerProcess> {
  const child = fork(path.join(import.meta.dirname, "neighbours-attacker.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  // A real attacker runs on its own machine. Here it shares two cores with the relay and the quiet
  // tenant, so it gets the lowest CPU priority: what is measured is the relay's work for it, not its own.
  if (child.pid !== undefined) setPriority(child.pid, ATTACKER_NICENESS);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const events = (wanted: AttackerEvent["event"]) =>
    new Promise<AttackerEvent>((resolve) => child.on("message", (event: AttackerEvent) => event.event === wanted && resolve(event)));
  const report = events("report");
  await Promise.race([events("ready"), exited.then((code) => Promise.reject(new Error(`attacker exited (${code}) before it was ready`)))]);
  const stop = async (): Promise<AttackerReport> => {
    if (child.connected) child.send({ cmd: "stop" });
    const timeout = sleep(ATTACKER_STOP_TIMEOUT_MS).then(() => null);
    const answer = await Promise.race([report, exited.then(() => null), timeout]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    return answer?.event === "report" ? answer.report : { tally: {}, notes: ["attacker gave no report (it crashed, hung or was killed)"] };
  };
  let stopping: Promise<AttackerReport> | null = null;
  return {
    setUp: events("set-up").then(() => undefined),
    start: (plan) => child.send({ cmd: "start", plan }),
    // Once: a row stops its attacker before reading RSS after close, and again on its way out.
    stop: () => (stopping ??= stop()),
  };
}

interface Bench {
  cluster: RelayCluster;
  quietApp: SnapshotApp;
  attacker: { app: SnapshotApp; keys: AttackerKeys };
  halfOpenTarget: number;
}

async function runRow(bench: Bench, attack: AttackName): Promise<RowResult> {
  // Only the relay's defaults: the per-address connect rate for credentials that name no app is its default too.
  const node = await bench.cluster.startNode({ CONNECT_RATE_PER_IP: String(PlanDefaults.connectAttemptsPerIpPerMinute) }, { memoryState: true, builtEntryPoint: RELAY_BUNDLE_OVERRIDE ?? relayEntryPoint });
  const pid = node.child.pid ?? 0;
  let relayExit: string | null = null;
  void node.exited.then((code) => (relayExit = `relay exited (${code ?? node.child.signalCode})`));
  const attacker = await forkAttacker();
  let quiet: QuietTenant | null = null;
  let rssSampler: NodeJS.Timeout | undefined;
  try {
    await waitUntilReady(node);
    quiet = await QuietTenant.connect(node.url, bench.quietApp);
    quiet.startPhase();
    await sleep(ALONE_MS);
    const alone = await quiet.endPhase();

    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    rssSampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid) || 0)), RSS_SAMPLE_MS);
    const cpuBefore = await cpuOrNaN(pid);
    const startedAt = performance.now();
    let setUpMs: number | null = null;
    const setUp = attacker.setUp.then(() => (setUpMs = performance.now() - startedAt));
    quiet.startPhase();
    attacker.start({
      attack,
      wsUrl: node.url,
      httpUrl: node.httpUrl,
      port: Number(new URL(node.httpUrl).port),
      appId: bench.attacker.app.appId,
      keys: bench.attacker.keys,
      relaySecret: RELAY_SECRET,
      halfOpenTarget: bench.halfOpenTarget,
    });
    await Promise.race([setUp, sleep(MAX_ATTACK_MS)]);
    const endAt = Math.min(MAX_ATTACK_MS, Math.max(ATTACK_MS, (setUpMs ?? MAX_ATTACK_MS) + SET_UP_SETTLE_MS));
    await sleep(endAt - (performance.now() - startedAt));
    const freshConnect = await quiet.probeConnect();
    const underAttack = await quiet.endPhase();
    const cpuPercent = (100 * ((await cpuOrNaN(pid)) - cpuBefore)) / ((performance.now() - startedAt) / 1000);

    const report = await attacker.stop();
    await sleep(AFTER_CLOSE_SETTLE_MS);
    return {
      attack,
      alone,
      underAttack,
      setUpMs,
      rssMb: { before: rssBefore, peak: rssPeak, afterClose: rssMb(pid) },
      relayCpuPercent: cpuPercent,
      freshConnect,
      relayExit,
      report,
    };
  } finally {
    clearInterval(rssSampler);
    quiet?.close();
    await attacker.stop();
    await bench.cluster.stop();
  }
}

const fmt = (ms: number) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) : "—");
const p50p99 = (values: number[]) => `${fmt(percentile(values, 0.5))} / ${fmt(percentile(values, 0.99))}`;
const ratio = (values: number[], reference: number[]) => percentile(values, 0.99) / percentile(reference, 0.99);

function printResults(rows: RowResult[]): void {
  // The alone reference pools every row's alone phase: each on a fresh relay, minutes apart.
  const alonePing = rows.flatMap((r) => r.alone.pingMs);
  const alonePublish = rows.flatMap((r) => r.alone.publishMs);
  console.log(`\n${rows.length} rows, ${QUICK ? "quick" : "full"} run; ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("| row | quiet ping p50 / p99 (ms) | quiet publish→receive p50 / p99 (ms) | p99 ÷ alone p99 (ping, publish) | goal ≤ 2× | relay RSS before → peak → after close (MB) | relay CPU | quiet tenant's fresh connect |");
  console.log("|---|---|---|---|---|---|---|---|");
  console.log(`| alone (every row's quiet phase) | ${p50p99(alonePing)} | ${p50p99(alonePublish)} | 1× | — | — | — | — |`);
  for (const row of rows) {
    const pingRatio = ratio(row.underAttack.pingMs, alonePing);
    const publishRatio = ratio(row.underAttack.publishMs, alonePublish);
    const lost = row.underAttack.lostPings + row.underAttack.lostPublishes;
    const met = pingRatio <= GOAL_P99_RATIO && publishRatio <= GOAL_P99_RATIO && lost === 0 && row.relayExit === null;
    const rss = `${row.rssMb.before.toFixed(0)} → ${row.rssMb.peak.toFixed(0)} → ${row.rssMb.afterClose.toFixed(0)}`;
    console.log(
      `| ${ROW_TITLES[row.attack]} | ${p50p99(row.underAttack.pingMs)} | ${p50p99(row.underAttack.publishMs)} | ${pingRatio.toFixed(1)}×, ${publishRatio.toFixed(1)}× | ${met ? "met" : "MISSED"} | ${rss} | ${row.relayCpuPercent.toFixed(0)} % | ${row.freshConnect} |`,
    );
  }
  console.log("\nper row: the quiet tenant's trouble, and what the attacker experienced");
  for (const row of rows) {
    const quietTrouble = Object.entries(row.underAttack.trouble).map(([what, n]) => `${what} ×${n}`);
    if (row.underAttack.lostPings > 0) quietTrouble.push(`${row.underAttack.lostPings} pings unanswered`);
    if (row.underAttack.lostPublishes > 0) quietTrouble.push(`${row.underAttack.lostPublishes} publishes undelivered`);
    const tally = Object.entries(row.report.tally).map(([what, n]) => `${what}: ${n}`);
    const setUp = row.setUpMs === null ? "never reached full strength" : `full strength after ${(row.setUpMs / 1000).toFixed(1)} s`;
    console.log(`- ${ROW_TITLES[row.attack]} (${setUp}${row.relayExit ? `; ${row.relayExit}` : ""})`);
    console.log(`  quiet tenant: ${quietTrouble.length > 0 ? quietTrouble.join(", ") : "no errors, nothing lost"}`);
    console.log(`  attacker: ${tally.join("; ") || "nothing counted"}${row.report.notes.length > 0 ? `; ${row.report.notes.join("; ")}` : ""}`);
  }
}

async function main(): Promise<void> {
  const controlPlane = await new FakeControlPlane().start();
  const quietApp = appFixture({ appId: "app_neighbour_quiet", keys: [secretKey()] });
  const attacker = attackerApp();
  controlPlane.setApps([quietApp, attacker.app]);
  // The relay and the attacker inherit this process's limit.
  const fileLimit = readOpenFileLimit() ?? FALLBACK_OPEN_FILE_LIMIT;
  const halfOpenTarget = Math.min(HALF_OPEN_MAX, fileLimit - FILE_DESCRIPTOR_MARGIN);
  console.log(`relay-neighbours: ${attacks.length} rows; open-file limit ${fileLimit} (half-open target ${halfOpenTarget}); alone ${ALONE_MS} ms, attack ≥ ${ATTACK_MS} ms per row`);
  // The relay as production runs it: the bundle, not the sources through tsx (whose compiler leaves a
  // heap that a first major collection frees during some row, a pause no deployment has).
  // BENCH_RELAY_BUNDLE runs another build instead (an earlier commit's, for a before/after comparison).
  if (!RELAY_BUNDLE_OVERRIDE) await buildRelay();
  const cluster = new RelayCluster({ redisUrl: "", controlPlaneUrl: controlPlane.url, relaySecret: RELAY_SECRET, keyPrefix: "" });
  const rows: RowResult[] = [];
  const startedAt = Date.now();
  try {
    for (const attack of attacks) {
      const row = await runRow({ cluster, quietApp, attacker, halfOpenTarget }, attack);
      rows.push(row);
      console.log(`${ROW_TITLES[attack]}: ping p99 ${fmt(percentile(row.underAttack.pingMs, 0.99))} ms, publish p99 ${fmt(percentile(row.underAttack.publishMs, 0.99))} ms (${Math.round((Date.now() - startedAt) / 1000)} s)`);
    }
  } finally {
    await cluster.stop();
    await controlPlane.stop();
  }
  printResults(rows);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
