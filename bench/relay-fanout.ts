// Benchmark (a script, not a test): `npx tsx bench/relay-fanout.ts`.
// The Tollgate relay with full enforcement (JWT auth, plan cache, token bucket, quota, metering)
// against a bare `ws` broadcast server doing the same fan-out: SUBSCRIBERS subscribers, one
// publisher, PAYLOAD_BYTES payloads. Runs are interleaved (baseline, relay, baseline, relay, …);
// each server runs in its own child process whose CPU is read with process.cpuUsage(). Prints
// server CPU per delivered message, max delivered msgs/s without drops and p50/p99 latency, each
// with its ratio to the baseline.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { WebSocket } from "ws";
import { ControlPlanePath } from "../relay/src/protocol";
import type { Snapshot } from "../relay/src/protocol";

const SUBSCRIBERS = 200;
const PAYLOAD_BYTES = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Publish rate of the CPU/latency phase (messages per second, each fanned out to every subscriber). */
const STEADY_RATE = 100;
const STEADY_SECONDS = 3;
/** Messages of the closed-loop throughput phase and how many may be in flight (published, not yet fully delivered). */
const SATURATION_MESSAGES = 1500;
const SATURATION_WINDOW = 16;
const DRAIN_TIMEOUT_MS = 2_000;
const CHANNEL = "bench/room";
const RELAY_SECRET = randomBytes(24).toString("hex");
const signingSecret = `sk_secret_${randomBytes(24).toString("hex")}`;
const keyId = `sk_id_${randomBytes(8).toString("hex")}`;
const appId = "app_bench";

type Mode = "baseline" | "relay";

interface RunResult {
  cpuMicrosPerDelivery: number;
  maxDeliveredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function snapshot(): Snapshot {
  return {
    version: "bench-1",
    generatedAtUnixMs: Date.now(),
    apps: [
      {
        appId,
        status: "active",
        planName: "bench",
        limits: {
          maxConcurrentConnections: 10_000,
          maxMessagesPerPeriod: 1_000_000_000,
          tokenBucketRefillPerSecond: 100_000,
          tokenBucketBurst: 100_000,
          connectAttemptsPerIpPerMinute: 100_000,
        },
        billing: {
          overagesAllowed: false,
          overagesEnabled: false,
          balanceMinor: 0,
          autoRechargeEnabled: false,
          overagePricePer1000MessagesMinor: 0,
          overagePricePerConnectionMinor: 0,
        },
        period: { startUnix: Math.floor(Date.now() / 1000) - 3600, endUnix: Math.floor(Date.now() / 1000) + 86_400 },
        usage: { messagesUsed: 0, overageMessages: 0, overageConnections: 0, peakConcurrent: 0 },
        keys: [{ keyId, kind: "secret", channelPatterns: ["**"], actions: ["publish", "subscribe", "presence", "send"], allowedOrigins: [], revoked: false, expiresAtUnix: null, signingSecret }],
      },
    ],
  };
}

async function startControlPlane(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === ControlPlanePath.snapshot) {
        res.writeHead(200, { "content-type": "application/json", etag: '"bench-1"' }).end(JSON.stringify(snapshot()));
      } else if (req.url === ControlPlanePath.usage) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ applied: true, apps: [] }));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
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

/** Called on every delivery; the saturation phase uses it to keep its window full. */
let onDelivery: (() => void) | null = null;

async function token(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", kid: keyId, typ: "JWT" })
    .setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(signingSecret));
}

async function openSocket(mode: Mode, port: number, name: string): Promise<WebSocket> {
  const url = mode === "relay" ? `ws://127.0.0.1:${port}/v1?token=${await token(name)}` : `ws://127.0.0.1:${port}/`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    if (mode === "baseline") ws.once("open", () => resolve());
    else ws.once("message", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

async function connectSubscribers(mode: Mode, port: number): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = await openSocket(mode, port, `sub-${i}`);
    const subscriber: Subscriber = { ws, received: 0, latencies: null };
    if (mode === "relay") {
      ws.send(JSON.stringify({ type: "subscribe", channel: CHANNEL, requestId: "s" }));
      await new Promise<void>((resolve) => ws.once("message", () => resolve()));
    }
    ws.on("message", (data: Buffer) => {
      // Presence frames (relay) and acks are not deliveries of the benchmark's messages.
      if (data.length < PAYLOAD_BYTES) return;
      subscriber.received += 1;
      onDelivery?.();
      if (subscriber.latencies) {
        const frame = JSON.parse(data.toString()) as { data?: { t?: number } } & { t?: number };
        const sentAt = frame.data?.t ?? frame.t;
        if (sentAt !== undefined) subscriber.latencies.push(performance.now() - sentAt);
      }
    });
    subscribers.push(subscriber);
  }
  return subscribers;
}

function payload(mode: Mode, seq: number): string {
  const body = { seq, t: performance.now(), pad: "" };
  body.pad = "x".repeat(Math.max(0, PAYLOAD_BYTES - JSON.stringify(body).length));
  // The baseline forwards exactly the bytes the relay delivers (a `message` frame), so both servers
  // put the same frame size on the wire per recipient.
  return mode === "relay"
    ? JSON.stringify({ type: "publish", channel: CHANNEL, data: body, requestId: `p${seq}` })
    : JSON.stringify({ type: "message", channel: CHANNEL, from: "publisher", data: body });
}

/** Publishes `rate` msgs/s for `seconds`, waits for delivery; returns deliveries and elapsed time. */
async function phase(mode: Mode, publisher: WebSocket, subscribers: Subscriber[], rate: number, seconds: number): Promise<{ expected: number; delivered: number; elapsedMs: number; complete: boolean }> {
  for (const s of subscribers) s.received = 0;
  const total = rate * seconds;
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * rate) + perTick);
      while (sent < due) publisher.send(payload(mode, sent++));
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  const expected = total * subscribers.length;
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  let delivered = 0;
  for (;;) {
    delivered = subscribers.reduce((sum, s) => sum + s.received, 0);
    if (delivered >= expected || performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const open = subscribers.every((s) => s.ws.readyState === WebSocket.OPEN);
  return { expected, delivered, elapsedMs: performance.now() - started, complete: delivered >= expected && open };
}

/**
 * Closed-loop throughput: keeps at most SATURATION_WINDOW messages in flight (published but not
 * yet delivered to every subscriber), so neither server is ever asked to buffer without bound,
 * and reports deliveries per second. Every message must arrive (no drops) or the run counts 0.
 */
async function saturate(mode: Mode, publisher: WebSocket, subscribers: Subscriber[]): Promise<number> {
  for (const s of subscribers) s.received = 0;
  let delivered = 0;
  let sent = 0;
  const started = performance.now();
  const expected = SATURATION_MESSAGES * subscribers.length;
  return new Promise<number>((resolve) => {
    const timeout = setTimeout(() => finish(), 30_000);
    const finish = () => {
      clearTimeout(timeout);
      onDelivery = null;
      const open = subscribers.every((s) => s.ws.readyState === WebSocket.OPEN);
      resolve(delivered >= expected && open ? (delivered / (performance.now() - started)) * 1000 : 0);
    };
    const pump = () => {
      while (sent < SATURATION_MESSAGES && sent - delivered / subscribers.length < SATURATION_WINDOW) publisher.send(payload(mode, sent++));
    };
    onDelivery = () => {
      delivered += 1;
      if (delivered >= expected) finish();
      else if (delivered % subscribers.length === 0) pump();
    };
    pump();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function run(mode: Mode, env: Record<string, string>): Promise<RunResult> {
  const server = await startServer(mode, env);
  const subscribers = await connectSubscribers(mode, server.port);
  const publisher = await openSocket(mode, server.port, "publisher");
  publisher.on("message", () => undefined);

  // Warm-up so JIT and buffers settle in both servers alike.
  await phase(mode, publisher, subscribers, STEADY_RATE, 1);

  for (const s of subscribers) s.latencies = [];
  const cpuBefore = await server.cpuMicros();
  const steady = await phase(mode, publisher, subscribers, STEADY_RATE, STEADY_SECONDS);
  const cpuAfter = await server.cpuMicros();
  const latencies = subscribers.flatMap((s) => s.latencies ?? []).sort((a, b) => a - b);
  for (const s of subscribers) s.latencies = null;

  const maxDeliveredPerSecond = await saturate(mode, publisher, subscribers);

  for (const s of subscribers) s.ws.terminate();
  publisher.terminate();
  await server.stop();
  return {
    cpuMicrosPerDelivery: (cpuAfter - cpuBefore) / Math.max(1, steady.delivered),
    maxDeliveredPerSecond,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const controlPlane = await startControlPlane();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-"));
  const env = { BENCH_CONTROL_PLANE_URL: controlPlane.url, BENCH_RELAY_SECRET: RELAY_SECRET, BENCH_DATA_DIR: dataDir };
  const results: Record<Mode, RunResult[]> = { baseline: [], relay: [] };
  const benchStarted = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (["baseline", "relay"] as const) : (["relay", "baseline"] as const)) {
      const result = await run(mode, env);
      results[mode].push(result);
      console.log(
        `round ${round + 1} ${mode.padEnd(8)} cpu/delivery ${result.cpuMicrosPerDelivery.toFixed(3)} µs  max ${Math.round(result.maxDeliveredPerSecond)} deliveries/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms`,
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
  // Runs of one round are adjacent in time, so their ratio cancels most of the machine's load drift.
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
  console.log(`\n${SUBSCRIBERS} subscribers × ${PAYLOAD_BYTES} B, ${ROUNDS} interleaved rounds per server, medians (${Math.round((Date.now() - benchStarted) / 1000)} s, ${os.cpus().length} cores, node ${process.version})`);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("| metric | baseline (bare ws) | relay | ratio of medians | median of paired ratios | target |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, b, r, x, paired, target] of rows) console.log(`| ${name} | ${b} | ${r} | ${x.toFixed(2)}× | ${paired.toFixed(2)}× | ${target} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
