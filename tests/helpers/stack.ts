// Starts the real Tollgate stack (web app + relay, through `npm start`'s launcher) on free ports with a
// fresh database and data directory, for integration and end-to-end tests. The web app must already be
// built (`npm test` builds it once up front; otherwise the launcher builds it on first use).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { DemoCredentials } from "@/lib/apps/demo-credentials";
import { createPrismaClient, type Db } from "@/lib/db";
import { createEmptyDatabase } from "./test-database";

const root = path.resolve(import.meta.dirname, "..", "..");

export interface StackOptions {
  planCacheRefreshMs?: number;
  usageFlushMs?: number;
  /** Extra environment for the launcher, web app and relay. */
  env?: Record<string, string>;
}

export interface Stack {
  webUrl: string;
  /** ws://127.0.0.1:<port> — append /v1 to connect. */
  relayUrl: string;
  relayInternalUrl: string;
  databaseUrl: string;
  dataDir: string;
  secrets: { NEXTAUTH_SECRET: string; RELAY_SECRET: string; KEY_ENCRYPTION_KEY: string };
  admin: { email: string; password: string };
  demo: DemoCredentials;
  db: Db;
  /** Everything the launcher and its children printed so far (for debugging a failure). */
  logs(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, output: { text: string }, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack not ready after ${timeoutMs} ms:\n${output.text.slice(-4000)}`)), timeoutMs);
    const onData = () => {
      if (output.text.includes("Tollgate is running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`launcher exited with ${code} before the stack was ready:\n${output.text.slice(-4000)}`));
    });
  });
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createEmptyDatabase();
  const [webPort, relayPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tollgate-stack-"));
  const secrets = {
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    RELAY_SECRET: randomBytes(32).toString("base64url"),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  const admin = { email: "admin@tollgate.local", password: "tollgate-admin-test" };
  const webUrl = `http://127.0.0.1:${webPort}`;
  const env = {
    ...process.env,
    ...secrets,
    DATABASE_URL: database.url,
    PORT: String(webPort),
    RELAY_PORT: String(relayPort),
    TOLLGATE_DATA_DIR: dataDir,
    NEXTAUTH_URL: webUrl,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    PLAN_CACHE_REFRESH_MS: String(options.planCacheRefreshMs ?? 1_000),
    USAGE_FLUSH_MS: String(options.usageFlushMs ?? 500),
    ...options.env,
  };
  const output = { text: "" };
  const child = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output.text += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.text += chunk));

  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database.dropDatabase();
  };
  try {
    await waitForReady(child, output, 180_000);
  } catch (error) {
    child.kill("SIGKILL");
    await cleanup();
    throw error;
  }

  const db = createPrismaClient(database.url);
  const demo = JSON.parse(readFileSync(path.join(dataDir, "demo-credentials.json"), "utf8")) as DemoCredentials;
  return {
    webUrl,
    relayUrl: `ws://127.0.0.1:${relayPort}`,
    relayInternalUrl: `http://127.0.0.1:${relayPort}`,
    databaseUrl: database.url,
    dataDir,
    secrets,
    admin,
    demo,
    db,
    logs: () => output.text,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      await db.$disconnect();
      await cleanup();
    },
  };
}
