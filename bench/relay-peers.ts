// Benchmark (a script, not a test): `npx tsx bench/relay-peers.ts`, about 5 minutes.
// The relay's real production entry point (`node relay/dist/main.js`, full enforcement and metering,
// against an HTTP control plane serving the snapshot and acknowledging usage) side by side with the
// simplest correct channel pub/sub on bare `ws` (bench/peers-ws-server.mjs) and with Socket.IO 4 rooms
// (bench/peers-socketio-server.mjs). Each server is its own process; its CPU is read from
// /proc/<pid>/stat and its memory from /proc/<pid>/status. Rounds are interleaved (each round starts
// the three servers fresh and runs every workload on each, in a rotating order) so a busy machine's
// load drift hits all alike; the summary is the median of the per-round ratios.
// Workloads:
//   fanout   one channel, 200 subscribers, 100 B payloads, 50 msg/s: server CPU per delivery
//   rooms    60 rooms × 10 members, each member publishes 1 msg/s: server CPU per delivery
//            (each measured over 4 s after 4 s of the same traffic unmeasured)
//   connects 3,000 authenticated connects (JWT, every check) with 25 in flight, from a bare TCP client
//            (the request, then the 101 and, for the relay, its welcome), after 3,000 unmeasured ones
//            that warm each server up: connects/s and CPU per connect
//   idle     RSS per idle connection with 5,000 connections open
// BENCH_ROUNDS (default 3) sets the rounds; BENCH_WORKLOADS (e.g. "connects,idle") runs a subset;
// BENCH_PROFILE_DIR writes the relay's --cpu-prof there.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import type { Socket as TcpSocket } from "node:net";
import os from "node:os";
import path from "node:path";
import { io as socketIoClient } from "socket.io-client";
import type { Socket } from "socket.io-client";
import { WebSocket } from "ws";
import { buildRelay, relayEntryPoint } from "../relay/build.mjs";
import { benchApp, benchToken, startBenchControlPlane } from "./bench-control-plane";
import { rssBytes } from "./bench-stats";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WORKLOADS = new Set((process.env.BENCH_WORKLOADS ?? "idle,connects,fanout,rooms").split(","));
const FANOUT_SUBSCRIBERS = 200;
const FANOUT_RATE = 50;
const PAYLOAD = "x".repeat(100);
const ROOMS = 60;
const ROOM_MEMBERS = 10;
const PHASE_SECONDS = 4;
// Enough connects that a major GC cycle falling inside the phase or not moves the figure little.
const CONNECTS = 3_000;
const CONNECTS_IN_FLIGHT = 25;
const CONNECTS_WARMUP = 3_000;
const IDLE_CONNECTIONS = 5_000;
const IDLE_WARMUP_CONNECTIONS = 100;
const CLOCK_TICK_MICROS = 1_000_000 / 100;

const RELAY_SECRET = randomBytes(24).toString("hex");
const app = benchApp("app_bench_peers", {
  maxConcurrentConnections: 100_000,
  maxMessagesPerPeriod: 1_000_000_000,
  tokenBucketRefillPerSecond: 1_000,
  tokenBucketBurst: 1_000,
  connectAttemptsPerIpPerMinute: 1_000_000,
});

type Kind = "relay" | "ws" | "socketio";
const KINDS: readonly Kind[] = ["relay", "ws", "socketio"];

interface ServerProcess {
  kind: Kind;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MICROS;
}

async function startServer(kind: Kind, controlPlaneUrl: string, dataDir: string): Promise<ServerProcess> {
  const profile = process.env.BENCH_PROFILE_DIR;
  const command: { args: string[]; env: Record<string, string> } =
    kind === "relay"
      ? {
          args: [...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []), relayEntryPoint],
          env: {
            RELAY_SECRET,
            RELAY_PORT: "0",
            CONTROL_PLANE_URL: controlPlaneUrl,
            RELAY_DATA_DIR: dataDir,
            RELAY_ID: "bench-peers",
            CONNECT_RATE_PER_IP: "1000000",
          },
        }
      : { args: [path.join(import.meta.dirname, kind === "ws" ? "peers-ws-server.mjs" : "peers-socketio-server.mjs")], env: {} };
  const child: ChildProcess = spawn(process.execPath, command.args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...command.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"relay listening".*?"port":(\d+)/.exec(output) ?? /^PORT (\d+)$/m.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${kind} exited (${code}): ${output}`)));
  });
  child.stdout?.resume();
  return {
    kind,
    port,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

/** One client of any of the three servers, speaking its dialect. */
interface Peer {
  subscribe(channel: string): Promise<void>;
  publish(channel: string, data: string): void;
  received: number;
  close(): void;
}

const tokens: string[] = [];
let nextToken = 0;

async function mintTokens(count: number): Promise<void> {
  while (tokens.length < count) tokens.push(await benchToken(app, `peer-${tokens.length}`, 3 * 3600));
}

function wsPeer(url: string, readyWhen: "open" | "welcome"): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const acks = new Map<string, () => void>();
    let seq = 0;
    const peer: Peer = {
      received: 0,
      subscribe: (channel) =>
        new Promise<void>((done) => {
          if (readyWhen === "open") {
            ws.send(JSON.stringify({ type: "subscribe", channel }));
            return done();
          }
          const requestId = `s${++seq}`;
          acks.set(requestId, done);
          ws.send(JSON.stringify({ type: "subscribe", channel, requestId }));
        }),
      publish: (channel, data) => ws.send(JSON.stringify({ type: "publish", channel, data })),
      close: () => ws.terminate(),
    };
    ws.on("error", reject);
    if (readyWhen === "open") ws.once("open", () => resolve(peer));
    // The client side is not what is measured: frames are told apart by their opening bytes, and only
    // acks are parsed, so one client process can keep up with the servers.
    ws.on("message", (raw: Buffer) => {
      const text = raw.toString();
      if (text.startsWith('{"type":"message"')) {
        peer.received += 1;
      } else if (text.startsWith('{"type":"welcome"')) {
        resolve(peer);
      } else if (text.startsWith('{"type":"ack"')) {
        const frame = JSON.parse(text) as { requestId?: string };
        if (frame.requestId) acks.get(frame.requestId)?.();
      }
    });
    ws.once("close", (code) => reject(new Error(`closed ${code}`)));
  });
}

function socketIoPeer(port: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = socketIoClient(`http://127.0.0.1:${port}`, { transports: ["websocket"], forceNew: true, reconnection: false });
    const peer: Peer = {
      received: 0,
      subscribe: (channel) =>
        new Promise<void>((done) => {
          socket.emit("subscribe", channel);
          // No acknowledgement in the simplest rooms server: a ping-pong of the engine proves the join ran.
          setTimeout(done, 0);
        }),
      publish: (channel, data) => socket.emit("publish", channel, data),
      close: () => socket.disconnect(),
    };
    socket.on("message", () => (peer.received += 1));
    socket.once("connect", () => resolve(peer));
    socket.once("connect_error", reject);
  });
}

function connectPeer(server: ServerProcess): Promise<Peer> {
  if (server.kind === "relay") return wsPeer(`ws://127.0.0.1:${server.port}/v1?token=${tokens[nextToken++ % tokens.length]}`, "welcome");
  if (server.kind === "ws") return wsPeer(`ws://127.0.0.1:${server.port}/`, "open");
  return socketIoPeer(server.port);
}

/** Opens `count` peers with at most `inFlight` connects pending at once. */
async function connectMany(server: ServerProcess, count: number, inFlight: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      peers.push(await connectPeer(server));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return peers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(): Promise<void> {
  await sleep(300);
}

/**
 * Waits until the server is idle (under 5 % of a core over 250 ms, at most 15 s), so the work a phase
 * left behind (closing thousands of connections: leases, presence, metering) is not billed to the next.
 */
async function quiesce(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const before = cpuMicros(server.pid);
    await sleep(250);
    if (cpuMicros(server.pid) - before < 0.05 * 250_000) return;
  }
}

/**
 * Publishes on a fixed schedule for PHASE_SECONDS; returns server CPU per delivery (µs). Each message
 * workload runs it twice and keeps the second: the first warms the server up (a freshly connected relay
 * needs ~10 s of traffic before its cost per delivery settles, bare ws ~5 s).
 */
async function measureDeliveries(server: ServerProcess, receivers: Peer[], tick: (n: number) => void, ticksPerSecond: number): Promise<number> {
  const before = receivers.reduce((sum, p) => sum + p.received, 0);
  const cpuBefore = cpuMicros(server.pid);
  const totalTicks = PHASE_SECONDS * ticksPerSecond;
  const startedAt = performance.now();
  for (let n = 0; n < totalTicks; n++) {
    tick(n);
    const due = startedAt + ((n + 1) * 1000) / ticksPerSecond;
    await sleep(Math.max(0, due - performance.now()));
  }
  await settle();
  const cpu = cpuMicros(server.pid) - cpuBefore;
  const deliveries = receivers.reduce((sum, p) => sum + p.received, 0) - before;
  return deliveries > 0 ? cpu / deliveries : Number.NaN;
}

async function fanout(server: ServerProcess): Promise<number> {
  const channel = "bench/fanout";
  const subscribers = await connectMany(server, FANOUT_SUBSCRIBERS, CONNECTS_IN_FLIGHT);
  await Promise.all(subscribers.map((peer) => peer.subscribe(channel)));
  const [publisher] = await connectMany(server, 1, 1);
  if (!publisher) throw new Error("no publisher");
  await settle();
  const publish = () => publisher.publish(channel, PAYLOAD);
  await measureDeliveries(server, subscribers, publish, FANOUT_RATE);
  const result = await measureDeliveries(server, subscribers, publish, FANOUT_RATE);
  for (const peer of [...subscribers, publisher]) peer.close();
  return result;
}

async function rooms(server: ServerProcess): Promise<number> {
  const members = await connectMany(server, ROOMS * ROOM_MEMBERS, CONNECTS_IN_FLIGHT);
  await Promise.all(members.map((peer, i) => peer.subscribe(`bench/room-${i % ROOMS}`)));
  await settle();
  // 100 ticks a second, each publishing from 1/100 of the members: every member once a second.
  const perTick = members.length / 100;
  const tick = (n: number) => {
    const offset = (n % 100) * perTick;
    for (let i = offset; i < offset + perTick; i++) members[i]?.publish(`bench/room-${i % ROOMS}`, PAYLOAD);
  };
  await measureDeliveries(server, members, tick, 100);
  const result = await measureDeliveries(server, members, tick, 100);
  for (const peer of members) peer.close();
  return result;
}

/**
 * One WebSocket connect as a bare TCP client: the upgrade request, then the bytes that complete the
 * connect (the 101 response; for the relay also its welcome frame). A `ws` client costs its process
 * more than either server spends on the connect, so with it the benchmark measured its own client.
 */
function rawConnect(server: ServerProcess): Promise<TcpSocket> {
  const target = server.kind === "relay" ? `/v1?token=${tokens[nextToken++ % tokens.length]}` : "/";
  const request = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`;
  const done = server.kind === "relay" ? (text: string) => text.includes('{"type":"welcome"') : (text: string) => text.includes("\r\n\r\n");
  return new Promise((resolve, reject) => {
    const socket = connectTcp(server.port, "127.0.0.1", () => socket.write(request));
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.startsWith("HTTP/1.1 101")) return void reject(new Error(`refused: ${received.split("\r\n")[0]}`));
      if (!done(received)) return;
      socket.off("data", onData);
      socket.resume();
      resolve(socket);
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/** `count` connects with CONNECTS_IN_FLIGHT pending at once; returns connects/s and server CPU per connect. */
async function connectBurst(server: ServerProcess, count: number): Promise<{ perSecond: number; cpuMicrosPerConnect: number }> {
  // Socket.IO's connect is its own engine.io handshake: it keeps its client (its figure is for reference).
  const connectOne = server.kind === "socketio" ? () => connectPeer(server).then((peer) => () => peer.close()) : () => rawConnect(server).then((socket) => () => socket.destroy());
  const closers: Array<() => void> = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      closers.push(await connectOne());
    }
  };
  const cpuBefore = cpuMicros(server.pid);
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: CONNECTS_IN_FLIGHT }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = cpuMicros(server.pid) - cpuBefore;
  for (const close of closers) close();
  return { perSecond: count / seconds, cpuMicrosPerConnect: cpu / count };
}

/**
 * A running server's connect storm: every server first takes CONNECTS_WARMUP connects (not measured,
 * then closed) so its JIT has compiled the connect path, as it has in a process that has been up a while.
 */
async function connects(server: ServerProcess): Promise<{ perSecond: number; cpuMicrosPerConnect: number }> {
  await connectBurst(server, CONNECTS_WARMUP);
  await quiesce(server);
  return connectBurst(server, CONNECTS);
}

async function idleRss(server: ServerProcess): Promise<number> {
  const warm = await connectMany(server, IDLE_WARMUP_CONNECTIONS, CONNECTS_IN_FLIGHT);
  await sleep(1_000);
  const before = rssBytes(server.pid);
  const peers = await connectMany(server, IDLE_CONNECTIONS, CONNECTS_IN_FLIGHT);
  await sleep(2_000);
  const after = rssBytes(server.pid);
  for (const peer of [...warm, ...peers]) peer.close();
  await sleep(500);
  return (after - before) / IDLE_CONNECTIONS;
}

type Metric = "fanoutCpu" | "roomsCpu" | "connectsPerSecond" | "cpuPerConnect" | "idleRss";
type RoundResult = Record<Metric, Record<Kind, number>>;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  await buildRelay();
  await mintTokens(CONNECTS_WARMUP + CONNECTS + IDLE_CONNECTIONS + IDLE_WARMUP_CONNECTIONS + ROOMS * ROOM_MEMBERS + FANOUT_SUBSCRIBERS + 1);
  const controlPlane = await startBenchControlPlane(app);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-peers-"));
  const results: RoundResult[] = [];
  console.log(`relay-peers: ${ROUNDS} interleaved rounds on ${os.cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length] as Kind);
      const servers = new Map<Kind, ServerProcess>();
      for (const kind of order) servers.set(kind, await startServer(kind, controlPlane.url, dataDir));
      const result = {} as RoundResult;
      const record = (metric: Metric, kind: Kind, value: number): void => {
        (result[metric] ??= {} as Record<Kind, number>)[kind] = value;
      };
      const each = async (run: (server: ServerProcess) => Promise<void>) => {
        for (const kind of order) {
          const server = servers.get(kind) as ServerProcess;
          await quiesce(server);
          await run(server);
        }
      };
      if (WORKLOADS.has("idle")) await each(async (s) => record("idleRss", s.kind, await idleRss(s)));
      if (WORKLOADS.has("connects")) {
        await each(async (s) => {
          const c = await connects(s);
          record("connectsPerSecond", s.kind, c.perSecond);
          record("cpuPerConnect", s.kind, c.cpuMicrosPerConnect);
        });
      }
      if (WORKLOADS.has("fanout")) await each(async (s) => record("fanoutCpu", s.kind, await fanout(s)));
      if (WORKLOADS.has("rooms")) await each(async (s) => record("roomsCpu", s.kind, await rooms(s)));
      for (const server of servers.values()) await server.stop();
      results.push(result);
      console.log(`round ${round + 1}: ${JSON.stringify(result, (_k, v: unknown) => (typeof v === "number" ? Number(v.toFixed(2)) : v))}`);
    }
  } finally {
    controlPlane.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const ratio = (metric: Metric, other: Kind) => median(results.map((r) => r[metric].relay / r[metric][other]));
  const value = (metric: Metric, kind: Kind) => median(results.map((r) => r[metric][kind]));
  const rows: Array<{ name: string; metric: Metric; unit: string; scale: number; targets: Partial<Record<Kind, { op: "<=" | ">="; limit: number }>> }> = [
    { name: "fan-out 200 subscribers, 50 msg/s: CPU per delivery", metric: "fanoutCpu", unit: "µs", scale: 1, targets: { ws: { op: "<=", limit: 0.9 } } },
    { name: "60 rooms × 10, 1 msg/s each: CPU per delivery", metric: "roomsCpu", unit: "µs", scale: 1, targets: { ws: { op: "<=", limit: 1.05 }, socketio: { op: "<=", limit: 0.8 } } },
    { name: "connects, 25 in flight: connects/s", metric: "connectsPerSecond", unit: "/s", scale: 1, targets: { ws: { op: ">=", limit: 0.8 } } },
    { name: "connects, 25 in flight: CPU per connect", metric: "cpuPerConnect", unit: "µs", scale: 1, targets: { ws: { op: "<=", limit: 1.5 } } },
    { name: `idle, ${IDLE_CONNECTIONS} connections: RSS per connection`, metric: "idleRss", unit: "KB", scale: 1 / 1024, targets: { ws: { op: "<=", limit: 1.5 } } },
  ];
  console.log(`\nmedians over ${ROUNDS} rounds (load average now ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`);
  console.log("| workload | relay | bare ws | Socket.IO | relay / bare ws | relay / Socket.IO |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) {
    if (!results[0]?.[row.metric]) continue;
    const cell = (kind: Kind) => `${(value(row.metric, kind) * row.scale).toFixed(row.metric === "connectsPerSecond" ? 0 : 1)} ${row.unit}`;
    const ratioCell = (other: Kind) => {
      const r = ratio(row.metric, other);
      const target = row.targets[other];
      if (!target) return `${r.toFixed(2)}×`;
      const met = target.op === "<=" ? r <= target.limit : r >= target.limit;
      return `${r.toFixed(2)}× (target ${target.op} ${target.limit}: ${met ? "met" : "MISSED"})`;
    };
    console.log(`| ${row.name} | ${cell("relay")} | ${cell("ws")} | ${cell("socketio")} | ${ratioCell("ws")} | ${ratioCell("socketio")} |`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
