// Starts the real Tollgate stack (web app + relay, through `npm start`'s launcher) on free ports with a
// fresh database and data directory, for integration and end-to-end tests. The database is a fresh one
// on the machine's PostgreSQL (or an embedded one, see test-database.ts), or with `embeddedDatabase` the
// launcher's own embedded default exactly as `npm start` runs it. The web app must already be
// built (`npm test` builds it once up front; otherwise the launcher builds it on first use).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DemoCredentials } from "@/lib/apps/demo-credentials";
import { createPrismaClient, type Db } from "@/lib/db";
import { embeddedDatabaseUrl } from "../../scripts/embedded-postgres.mjs";
import { createEmptyDatabase, freePort } from "./test-database";

export { freePort };

const root = path.resolve(import.meta.dirname, "..", "..");

export interface StackOptions {
  /** Leave DATABASE_URL unset so the launcher starts its embedded PostgreSQL in the data directory. */
  embeddedDatabase?: boolean;
  /** Seed the demo tenant (default true; `npm start` does so only on the embedded default or with SEED_DEMO=1). */
  seedDemo?: boolean;
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

/** The launcher's embedded database: its URL is known once the launcher has written the password. */
async function launcherEmbeddedDatabase(port: number, dataDir: string) {
  return {
    env: { EMBEDDED_PG_PORT: String(port) },
    url: () => {
      const stored = JSON.parse(readFileSync(path.join(dataDir, "local-secrets.json"), "utf8")) as { EMBEDDED_PG_PASSWORD: string };
      return embeddedDatabaseUrl({ port, password: stored.EMBEDDED_PG_PASSWORD });
    },
    // The launcher stops it; its files go with the data directory.
    dropDatabase: async () => {},
  };
}

async function machineDatabase() {
  const database = await createEmptyDatabase();
  return { env: { DATABASE_URL: database.url }, url: () => database.url, dropDatabase: database.dropDatabase };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const [webPort, relayPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tollgate-stack-"));
  const database = options.embeddedDatabase ? await launcherEmbeddedDatabase(await freePort(), dataDir) : await machineDatabase();
  const secrets = {
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    RELAY_SECRET: randomBytes(32).toString("base64url"),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  const admin = { email: "admin@tollgate.local", password: "tollgate-admin-test" };
  const webUrl = `http://127.0.0.1:${webPort}`;
  const { DATABASE_URL: _inherited, ...inheritedEnv } = process.env;
  const env = {
    ...inheritedEnv,
    ...secrets,
    ...database.env,
    SEED_DEMO: options.seedDemo === false ? "0" : "1",
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

  const databaseUrl = database.url();
  const db = createPrismaClient(databaseUrl);
  const demoFile = path.join(dataDir, "demo-credentials.json");
  const demo = options.seedDemo === false ? null : (JSON.parse(readFileSync(demoFile, "utf8")) as DemoCredentials);
  return {
    webUrl,
    relayUrl: `ws://127.0.0.1:${relayPort}`,
    relayInternalUrl: `http://127.0.0.1:${relayPort}`,
    databaseUrl,
    dataDir,
    secrets,
    admin,
    get demo(): DemoCredentials {
      if (!demo) throw new Error("this stack was started without the demo tenant (seedDemo: false)");
      return demo;
    },
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
