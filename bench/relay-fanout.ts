// Benchmark (a script, not a test): `npx tsx bench/relay-fanout.ts`.
// The Tollgate relay with full enforcement (JWT auth, plan cache, token bucket, quota, metering)
// against a bare `ws` broadcast server doing the same fan-out: SUBSCRIBERS subscribers, one
// publisher, PAYLOAD_BYTES payloads. Each server runs in its own child process whose CPU is read
// with process.cpuUsage(). The runs are interleaved at fine grain so a busy machine's load drift
// hits both alike: in each round both servers are up side by side; the steady phase publishes to
// both in the same 10 ms ticks (alternating order), and the closed-loop phase alternates bursts.
// Prints server CPU per delivered message, max delivered msgs/s without drops and p50/p99
// latency, each with its ratio to the baseline.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "ws";
import { benchApp, benchToken, startBenchControlPlane } from "./bench-control-plane";

const SUBSCRIBERS = 200;
const PAYLOAD_BYTES = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Publish rate of the CPU/latency phase (messages per second, each fanned out to every subscriber). */
const STEADY_RATE = 50;
const STEADY_SECONDS = 4;
/** Messages of the closed-loop throughput phase and how many may be in flight (published, not yet fully delivered). */
const SATURATION_MESSAGES = 1200;
const SATURATION_WINDOW = 16;
/** The closed-loop phase alternates between the servers in this many bursts. */
const SATURATION_BURSTS = 4;
const DRAIN_TIMEOUT_MS = 2_000;
const CHANNEL = "bench/room";
const RELAY_SECRET = randomBytes(24).toString("hex");
const app = benchApp("app_bench", {
  maxConcurrentConnections: 10_000,
  maxMessagesPerPeriod: 1_000_000_000,
  tokenBucketRefillPerSecond: 100_000,
  tokenBucketBurst: 100_000,
  connectAttemptsPerIpPerMinute: 100_000,
});

type Mode = "baseline" | "relay";

interface RunResult {
  cpuMicrosPerDelivery: number;
  maxDeliveredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface ServerChild {
  port: number;
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(mode: Mode, env: Record<string, string>): Promise<ServerChild> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, "relay-fanout-server.ts"), [mode], {
    execArgv: ["--import", "tsx", ...(process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [])],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port?: number }) => (message.port ? resolve(message.port) : reject(new Error("no port"))));
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  return {
    port,
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once("message", (message: { cpu: { user: number; system: number } }) => resolve(message.cpu.user + message.cpu.system));
        child.send({ cmd: "cpu" });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ cmd: "stop" });
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

interface Subscriber {
  ws: WebSocket;
  received: number;
  latencies: number[] | null;
}

/** One server under test with its clients. */
interface Target {
  mode: Mode;
  server: ServerChild;
  subscribers: Subscriber[];
  publisher: WebSocket;
  sent: number;
  /** Called on every delivery to one of this target's subscribers (closed-loop phase). */
  onDelivery: (() => void) | null;
}

async function openSocket(mode: Mode, port: number, name: string): Promise<WebSocket> {
  const url = mode === "relay" ? `ws://127.0.0.1:${port}/v1?token=${await benchToken(app, name)}` : `ws://127.0.0.1:${port}/`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    if (mode === "baseline") ws.once("open", () => resolve());
    else ws.once("message", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

async function connectTarget(mode: Mode, server: ServerChild): Promise<Target> {
  const target: Target = { mode, server, subscribers: [], publisher: await openSocket(mode, server.port, "publisher"), sent: 0, onDelivery: null };
  target.publisher.on("message", () => undefined);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = await openSocket(mode, server.port, `sub-${i}`);
    const subscriber: Subscriber = { ws, received: 0, latencies: null };
    if (mode === "relay") {
      ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
      await new Promise<void>((resolve) => ws.once("message", () => resolve()));
    }
    ws.on("message", (data: Buffer) => {
      // Presence frames (relay) and acks are not deliveries of the benchmark's messages.
      if (data.length < PAYLOAD_BYTES) return;
      subscriber.received += 1;
      target.onDelivery?.();
      if (subscriber.latencies) {
        const frame = JSON.parse(data.toString()) as { data?: { t?: number } };
        const sentAt = frame.data?.t;
        if (sentAt !== undefined) subscriber.latencies.push(performance.now() - sentAt);
      }
    });
    target.subscribers.push(subscriber);
  }
  return target;
}

function publish(target: Target): void {
  const seq = target.sent++;
  const body = { seq, t: performance.now(), pad: "" };
  body.pad = "x".repeat(Math.max(0, PAYLOAD_BYTES - JSON.stringify(body).length));
  // The baseline forwards exactly the bytes the relay delivers (a `message` frame), so both servers
  // put the same frame size on the wire per recipient.
  target.publisher.send(
    target.mode === "relay"
      ? JSON.stringify({ type: "publish", channel: CHANNEL, data: body, requestId: `p${seq}` })
      : JSON.stringify({ type: "message", channel: CHANNEL, from: "publisher", data: body }),
  );
}

const delivered = (target: Target) => target.subscribers.reduce((sum, s) => sum + s.received, 0);

/**
 * Publishes `rate` msgs/s to every target for `seconds`, tick by tick in alternating order, so the
 * servers see the same load at the same moments; then waits for delivery.
 */
async function steadyPhase(targets: Target[], rate: number, seconds: number): Promise<number[]> {
  for (const t of targets) for (const s of t.subscribers) s.received = 0;
  const total = rate * seconds;
  const tickMs = 10;
  const started = performance.now();
  let published = 0;
  let tick = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * rate));
      const ordered = tick++ % 2 === 0 ? targets : [...targets].reverse();
      while (published < due) {
        for (const t of ordered) publish(t);
        published += 1;
      }
      if (published >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  const expected = total * SUBSCRIBERS;
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (targets.some((t) => delivered(t) < expected) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return targets.map((t) => delivered(t));
}

/**
 * Closed-loop throughput on one target: at most SATURATION_WINDOW messages in flight (published
 * but not yet delivered to every subscriber), so no server is asked to buffer without bound.
 * Returns deliveries and elapsed ms; an incomplete burst (drop or closed socket) returns 0 deliveries.
 */
async function saturationBurst(target: Target, messages: number): Promise<{ deliveries: number; elapsedMs: number }> {
  for (const s of target.subscribers) s.received = 0;
  let deliveries = 0;
  let sent = 0;
  const started = performance.now();
  const expected = messages * SUBSCRIBERS;
  return new Promise((resolve) => {
    const timeout = setTimeout(() => finish(), 30_000);
    const finish = () => {
      clearTimeout(timeout);
      target.onDelivery = null;
      const open = target.subscribers.every((s) => s.ws.readyState === WebSocket.OPEN);
      resolve({ deliveries: deliveries >= expected && open ? deliveries : 0, elapsedMs: performance.now() - started });
    };
    const pump = () => {
      while (sent < messages && sent - deliveries / SUBSCRIBERS < SATURATION_WINDOW) {
        publish(target);
        sent += 1;
      }
    };
    target.onDelivery = () => {
      deliveries += 1;
      if (deliveries >= expected) finish();
      else if (deliveries % SUBSCRIBERS === 0) pump();
    };
    pump();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** One round: both servers up side by side, measured in the same time windows. */
async function round(roundIndex: number, env: Record<string, string>): Promise<Record<Mode, RunResult>> {
  const modes: Mode[] = roundIndex % 2 === 0 ? ["baseline", "relay"] : ["relay", "baseline"];
  const servers = await Promise.all(modes.map((mode) => startServer(mode, env)));
  const targets: Target[] = [];
  for (const [i, mode] of modes.entries()) {
    const server = servers[i];
    if (server) targets.push(await connectTarget(mode, server));
  }

  // Warm-up so JIT and buffers settle in both servers alike.
  await steadyPhase(targets, STEADY_RATE, 1);

  for (const t of targets) for (const s of t.subscribers) s.latencies = [];
  const cpuBefore = await Promise.all(targets.map((t) => t.server.cpuMicros()));
  const steadyDeliveries = await steadyPhase(targets, STEADY_RATE, STEADY_SECONDS);
  const cpuAfter = await Promise.all(targets.map((t) => t.server.cpuMicros()));

  // Alternating bursts, so both servers' throughput is sampled across the same stretch of time.
  const burst = Math.ceil(SATURATION_MESSAGES / SATURATION_BURSTS);
  const totals = targets.map(() => ({ deliveries: 0, elapsedMs: 0, failed: false }));
  for (let b = 0; b < SATURATION_BURSTS; b++) {
    const order = b % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const target = targets[i];
      const total = totals[i];
      if (!target || !total) continue;
      const result = await saturationBurst(target, burst);
      if (result.deliveries === 0) total.failed = true;
      total.deliveries += result.deliveries;
      total.elapsedMs += result.elapsedMs;
    }
  }

  const results = {} as Record<Mode, RunResult>;
  targets.forEach((t, i) => {
    const latencies = t.subscribers.flatMap((s) => s.latencies ?? []).sort((a, b) => a - b);
    const total = totals[i];
    results[t.mode] = {
      cpuMicrosPerDelivery: ((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0)) / Math.max(1, steadyDeliveries[i] ?? 0),
      maxDeliveredPerSecond: total && !total.failed ? (total.deliveries / total.elapsedMs) * 1000 : 0,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  });
  for (const t of targets) {
    for (const s of t.subscribers) s.ws.terminate();
    t.publisher.terminate();
  }
  await Promise.all(servers.map((server) => server.stop()));
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const controlPlane = await startBenchControlPlane(app);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-"));
  const env = { BENCH_CONTROL_PLANE_URL: controlPlane.url, BENCH_RELAY_SECRET: RELAY_SECRET, BENCH_DATA_DIR: dataDir };
  const results: Record<Mode, RunResult[]> = { baseline: [], relay: [] };
  const benchStarted = Date.now();
  for (let r = 0; r < ROUNDS; r++) {
    const result = await round(r, env);
    for (const mode of ["baseline", "relay"] as const) {
      const x = result[mode];
      results[mode].push(x);
      console.log(
        `round ${r + 1} ${mode.padEnd(8)} cpu/delivery ${x.cpuMicrosPerDelivery.toFixed(3)} µs  max ${Math.round(x.maxDeliveredPerSecond)} deliveries/s  p50 ${x.p50Ms.toFixed(2)} ms  p99 ${x.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  controlPlane.close();
  await rm(dataDir, { recursive: true, force: true });

  const summary = (mode: Mode) => ({
    cpu: median(results[mode].map((r) => r.cpuMicrosPerDelivery)),
    max: median(results[mode].map((r) => r.maxDeliveredPerSecond)),
    p50: median(results[mode].map((r) => r.p50Ms)),
    p99: median(results[mode].map((r) => r.p99Ms)),
  });
  // Both servers of a round are measured in the same time windows, so their ratio cancels most of
  // the machine's load drift; the median of those paired ratios is the headline figure.
  const pairedRatio = (pick: (r: RunResult) => number) =>
    median(results.relay.map((r, i) => {
      const b = results.baseline[i];
      return b && pick(b) > 0 ? pick(r) / pick(b) : Number.NaN;
    }).filter((x) => Number.isFinite(x)));
  const base = summary("baseline");
  const relay = summary("relay");
  const ratio = (a: number, b: number) => (b === 0 ? Number.NaN : a / b);
  const rows = [
    ["server CPU per delivered message (µs)", base.cpu.toFixed(3), relay.cpu.toFixed(3), ratio(relay.cpu, base.cpu), pairedRatio((r) => r.cpuMicrosPerDelivery), "≤ 1.10"],
    ["max delivered msgs/s without drops", Math.round(base.max), Math.round(relay.max), ratio(relay.max, base.max), pairedRatio((r) => r.maxDeliveredPerSecond), "≥ 0.90"],
    ["p50 latency (ms)", base.p50.toFixed(2), relay.p50.toFixed(2), ratio(relay.p50, base.p50), pairedRatio((r) => r.p50Ms), "—"],
    ["p99 latency (ms)", base.p99.toFixed(2), relay.p99.toFixed(2), ratio(relay.p99, base.p99), pairedRatio((r) => r.p99Ms), "—"],
  ] as const;
  console.log(`\n${SUBSCRIBERS} subscribers × ${PAYLOAD_BYTES} B, ${ROUNDS} rounds (both servers side by side in each), medians (${Math.round((Date.now() - benchStarted) / 1000)} s, ${os.cpus().length} cores, node ${process.version})`);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("| metric | baseline (bare ws) | relay | ratio of medians | median of paired ratios | target |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, b, r, x, paired, target] of rows) console.log(`| ${name} | ${b} | ${r} | ${x.toFixed(2)}× | ${paired.toFixed(2)}× | ${target} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
