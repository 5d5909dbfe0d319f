// Several relay processes on 127.0.0.1 sharing one Redis, for the multi-node tests and benchmark. Each
// node is the real entry point (relay/src/main.ts) in its own process (so SIGKILL is a real crash),
// listening on a port it picks itself; its port is read from its "relay listening" log line.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { METRICS_TOKEN } from "../helpers";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const mainScript = path.join(repoRoot, "relay/src/main.ts");
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RelayNode {
  id: string;
  child: ChildProcess;
  url: string;
  httpUrl: string;
  output(): string;
  exited: Promise<number | null>;
}

export interface ClusterOptions {
  /** A standalone Redis; or point the nodes at a cluster through `env` (REDIS_CLUSTER_NODES). */
  redisUrl?: string;
  controlPlaneUrl: string;
  relaySecret: string;
  keyPrefix: string;
  /** Extra environment for every node (timers, plan-change channel). */
  env?: Record<string, string>;
}

export class RelayCluster {
  readonly nodes: RelayNode[] = [];
  private readonly dirs: string[] = [];
  private seq = 0;

  constructor(private readonly options: ClusterOptions) {}

  async start(count: number): Promise<RelayNode[]> {
    return Promise.all(Array.from({ length: count }, () => this.startNode()));
  }

  /** `builtEntryPoint`: run that bundle (relay/dist/main.js, as production does) instead of the sources through tsx. */
  async startNode(extraEnv: Record<string, string> = {}, options: { memoryState?: boolean; builtEntryPoint?: string } = {}): Promise<RelayNode> {
    const id = `node-${++this.seq}-${process.pid}`;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tollgate-multinode-"));
    this.dirs.push(dataDir);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      RELAY_PORT: "0",
      RELAY_HOST: "127.0.0.1",
      RELAY_ID: id,
      RELAY_SECRET: this.options.relaySecret,
      METRICS_TOKEN,
      RELAY_DATA_DIR: dataDir,
      CONTROL_PLANE_URL: this.options.controlPlaneUrl,
      CONNECT_RATE_PER_IP: "1000000",
      ...(this.options.redisUrl ? { REDIS_URL: this.options.redisUrl } : {}),
      REDIS_KEY_PREFIX: this.options.keyPrefix,
      ...this.options.env,
      ...extraEnv,
    };
    if (options.memoryState) {
      delete env.REDIS_URL;
      delete env.REDIS_CLUSTER_NODES;
    }
    // `node --import tsx` keeps the relay in this one process, so its pid is the relay's (CPU, SIGKILL).
    const args = options.builtEntryPoint ? [options.builtEntryPoint] : ["--import", "tsx", mainScript];
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const port = await waitForPort(() => output, exited);
    const node: RelayNode = { id, child, url: `ws://127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
    this.nodes.push(node);
    return node;
  }

  /** SIGKILL: a crash, nothing is released or flushed. */
  async kill(node: RelayNode): Promise<void> {
    node.child.kill("SIGKILL");
    await node.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.splice(0).map(async (node) => {
        if (node.child.exitCode !== null || node.child.signalCode !== null) return;
        node.child.kill("SIGTERM");
        const timer = setTimeout(() => node.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await node.exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function waitForPort(output: () => string, exited: Promise<number | null>): Promise<number> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const match = output().match(/"msg":"relay listening"[^\n]*"port":(\d+)/);
    if (match?.[1]) return Number(match[1]);
    if (exitCode !== undefined) throw new Error(`relay exited (${exitCode}) before listening: ${output()}`);
    if (Date.now() > deadline) throw new Error(`relay did not start in time: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
