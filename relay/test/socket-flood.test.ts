// The measured attack on a relay's file descriptors: 250 sockets from each of 80 addresses (20,000) that
// open and never finish their upgrade request, against a relay with the open-file limit it was measured
// with (20,000). Each address stays under the per-address cap, so only a node-wide cap on unfinished
// requests, which makes room by closing the oldest socket of the address holding the most, keeps the
// relay's descriptors free for everyone else. The relay is the real entry point in a child process, with
// its caps at their defaults (computed from that limit); the sockets come from two more children, since
// one process cannot hold them all within the same limit.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SnapshotApp } from "../src/protocol";
import type { FloodReport } from "./half-open-sockets";
import { FakeControlPlane, RELAY_SECRET, TestClient, appFixture, firstSecretKey, mintToken, removeTempDirs, tempDataDir } from "./helpers";

const repoRoot = path.resolve(__dirname, "../..");
const RELAY_OPEN_FILE_LIMIT = 20_000;
const ATTACKER_PROCESSES = 2;
const ADDRESSES_PER_PROCESS = 40;
const SOCKETS_PER_ADDRESS = 250;
const FLOOD_SOCKETS = ATTACKER_PROCESSES * ADDRESSES_PER_PROCESS * SOCKETS_PER_ADDRESS;
/** Each attacker stops by itself after this long, whatever happens to the test. */
const ATTACK_HOLD_MS = 50_000;
const WELCOME_WITHIN_MS = 1_000;

let controlPlane: FakeControlPlane;
let app: SnapshotApp;
const children: ChildProcess[] = [];

interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function startChild(command: string, args: string[], options: { ipc?: boolean; env?: Record<string, string> } = {}): Child {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output: () => output, exited };
}

async function relayPort(relay: Child): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = relay.output().match(/"msg":"relay listening"[^\n]*"port":(\d+)/);
    if (match?.[1]) return Number(match[1]);
    if (relay.child.exitCode !== null || Date.now() > deadline) throw new Error(`relay did not start: ${relay.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** 127.0.0.2, 127.0.0.3, …: all of 127.0.0.0/8 is loopback on Linux. */
function loopbackAddresses(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `127.0.0.${first + index}`);
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

beforeAll(async () => {
  controlPlane = await new FakeControlPlane().start();
  app = appFixture();
  controlPlane.setApps([app]);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await controlPlane.stop();
  await removeTempDirs();
});

describe("a flood of sockets that never finish their upgrade", () => {
  it(`${FLOOD_SOCKETS} of them from 80 addresses: another tenant's new connection still gets its welcome in under 1 s`, async () => {
    // The relay runs with the open-file limit the attack was measured against (lowering it is always allowed).
    const relay = startChild("bash", ["-c", `ulimit -Sn ${RELAY_OPEN_FILE_LIMIT} && exec "$0" --import tsx relay/src/main.ts`, process.execPath], {
      env: { RELAY_SECRET, RELAY_PORT: "0", CONTROL_PLANE_URL: controlPlane.url, RELAY_DATA_DIR: await tempDataDir(), USAGE_FLUSH_MS: "60000" },
    });
    const port = await relayPort(relay);
    const relayPid = relay.child.pid ?? 0;

    const attackers = Array.from({ length: ATTACKER_PROCESSES }, (_, index) => {
      const addresses = loopbackAddresses(2 + index * ADDRESSES_PER_PROCESS, ADDRESSES_PER_PROCESS);
      const attacker = startChild(process.execPath, ["--import", "tsx", "relay/test/half-open-sockets.ts", String(port), addresses.join(","), String(SOCKETS_PER_ADDRESS), String(ATTACK_HOLD_MS)], { ipc: true });
      const report = new Promise<FloodReport>((resolve) => attacker.child.once("message", (message) => resolve(message as FloodReport)));
      return { ...attacker, report };
    });
    const reports = await Promise.all(attackers.map((attacker) => attacker.report));
    const relayOpenFiles = openFiles(relayPid);

    // The flood is in place: every socket was tried and most got through to the relay.
    expect(reports.reduce((sum, report) => sum + report.opened + report.failed, 0)).toBe(FLOOD_SOCKETS);
    expect(reports.reduce((sum, report) => sum + report.opened, 0)).toBeGreaterThan(FLOOD_SOCKETS * 0.75);

    const startedAt = Date.now();
    const client = new TestClient(`ws://127.0.0.1:${port}/v1?token=${await mintToken(firstSecretKey(app))}`, { localAddress: "127.0.0.200" });
    const welcome = await client.waitFor((frame) => frame.type === "welcome", WELCOME_WITHIN_MS).catch((error: unknown) => error);
    const waitedMs = Date.now() - startedAt;
    client.close();
    for (const attacker of attackers) attacker.child.send("stop");
    await Promise.all(attackers.map((attacker) => attacker.exited));
    relay.child.kill("SIGTERM");
    await relay.exited;

    console.info(`flood: ${JSON.stringify(reports)}, relay open files ${relayOpenFiles}, welcome after ${waitedMs} ms`);
    expect(welcome).toMatchObject({ type: "welcome" });
    expect(waitedMs).toBeLessThan(WELCOME_WITHIN_MS);
    // The relay kept well clear of its limit.
    expect(relayOpenFiles).toBeLessThan(RELAY_OPEN_FILE_LIMIT / 2);
  }, 90_000);
});
