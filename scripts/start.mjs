#!/usr/bin/env node
// `npm start`: one command from a fresh clone to a running Tollgate on embedded defaults.
// Generates the Prisma client, starts the embedded PGlite server unless DATABASE_URL is set, migrates,
// seeds, builds the web app and compiles the relay when their sources changed, then runs the web app and
// the relay with prefixed logs, and shuts every child down cleanly on Ctrl-C / SIGTERM.
//   npm start            production build (rebuilt only when sources change)
//   npm start -- --dev   next dev instead of a build
//   node scripts/start.mjs --build-only   generate + build web app and relay when needed, then exit (the test runner's first step)
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { z } from "zod";
import { buildRelay, relayEntryPoint } from "../relay/build.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const devMode = process.argv.includes("--dev");
const buildOnly = process.argv.includes("--build-only");

const portSchema = z.coerce.number().int().min(1).max(65535);
const launcherEnvSchema = z.object({
  PORT: portSchema.default(3000),
  RELAY_PORT: portSchema.default(8080),
  PGLITE_PORT: portSchema.default(54329),
  DATABASE_URL: z.string().url("must be a postgresql:// URL").optional(),
  TOLLGATE_DATA_DIR: z.string().default(".data"),
  ADMIN_EMAIL: z.string().email().default("admin@tollgate.local"),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").default("tollgate-admin"),
  NEXTAUTH_URL: z.string().url().optional(),
  RELAY_PUBLIC_URL: z.string().optional(),
  PLAN_CACHE_REFRESH_MS: z.coerce.number().int().positive().optional(),
  USAGE_FLUSH_MS: z.coerce.number().int().positive().max(60_000).optional(),
});

const parsed = launcherEnvSchema.safeParse(process.env);
if (!parsed.success) {
  console.error("Tollgate cannot start: invalid environment variable(s):");
  for (const issue of parsed.error.issues) console.error(`  ${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const config = parsed.data;
const dataDir = path.resolve(root, config.TOLLGATE_DATA_DIR);
mkdirSync(dataDir, { recursive: true });

function log(prefix, line) {
  process.stdout.write(`${prefix} ${line}\n`);
}
const say = (line) => log("[tollgate]", line);

/** Secrets a production deployment sets; for local use they are generated once and kept in .data/. */
function localSecrets() {
  const file = path.join(dataDir, "local-secrets.json");
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const generated = {
    NEXTAUTH_SECRET: stored.NEXTAUTH_SECRET ?? randomBytes(32).toString("base64url"),
    RELAY_SECRET: stored.RELAY_SECRET ?? randomBytes(32).toString("base64url"),
    KEY_ENCRYPTION_KEY: stored.KEY_ENCRYPTION_KEY ?? randomBytes(32).toString("base64"),
  };
  writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  const secrets = {};
  for (const [name, value] of Object.entries(generated)) {
    if (process.env[name]) secrets[name] = process.env[name];
    else {
      secrets[name] = value;
      say(`${name} not set: using a local one kept in ${path.relative(root, file)}`);
    }
  }
  return secrets;
}

function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    throw new Error(`${path.basename(command)} ${args.join(" ")} failed (exit ${result.status})`);
  }
  return result.stdout;
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on port ${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

const children = [];
let shuttingDown = false;

/** Per-connection chatter of the embedded database server, which would drown the useful lines. */
const NOISE = /^Client (connected|disconnected) from /;

function startChild(name, command, args, env) {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = `[${name}]`.padEnd(7);
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim() && !NOISE.test(line)) log(prefix, line);
    });
  }
  child.on("exit", (code, signal) => {
    if (!shuttingDown) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping Tollgate`);
      void shutdown(1);
    }
  });
  children.push({ name, child });
  return child;
}

function stopChild({ child }, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function shutdown(exitCode) {
  if (shuttingDown) return;
  shuttingDown = true;
  say("shutting down…");
  // The relay and the web app first (the relay flushes usage to the web app), the database last.
  const relay = children.find((c) => c.name === "relay");
  if (relay) await stopChild(relay, 15_000);
  await Promise.all(children.filter((c) => c.name !== "db" && c.name !== "relay").map((c) => stopChild(c, 10_000)));
  const db = children.find((c) => c.name === "db");
  if (db) await stopChild(db, 10_000);
  say("stopped");
  process.exit(exitCode);
}

function sourceHash() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "generated" && !entry.name.startsWith(".")) walk(full);
      } else if (/\.(tsx?|css|js|mjs|json|prisma)$/.test(entry.name) && !entry.name.endsWith(".test.ts")) {
        hash.update(full).update(readFileSync(full));
      }
    }
  };
  for (const dir of ["app", "components", "lib", "types", "relay/src/protocol", "prisma"]) walk(path.join(root, dir));
  for (const file of ["next.config.js", "package-lock.json", "tsconfig.json"]) {
    if (existsSync(path.join(root, file))) hash.update(readFileSync(path.join(root, file)));
  }
  return hash.digest("hex");
}

function buildIsCurrent(stampFile, hash) {
  return existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash;
}

/**
 * Builds when the sources changed. Several launchers may start at once (parallel test files); a lock
 * directory makes the others wait for the one build instead of writing into the same .next together.
 */
async function buildIfNeeded(env) {
  const stampFile = path.join(root, ".next", "tollgate-source-hash");
  const lockDir = path.join(root, ".next-build.lock");
  const current = sourceHash();
  for (;;) {
    if (buildIsCurrent(stampFile, current)) {
      say("web app build is up to date");
      return;
    }
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Another launcher is building; a lock older than 10 minutes is left over from a killed build.
      if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > 600_000) rmSync(lockDir, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  try {
    if (buildIsCurrent(stampFile, current)) return;
    say("building the web app (first start or sources changed; takes a minute or two)…");
    const started = Date.now();
    run(bin("next"), ["build"], env);
    writeFileSync(stampFile, current);
    say(`web app built in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

async function buildRelayIfNeeded() {
  const started = Date.now();
  if (await buildRelay()) say(`relay compiled to ${path.relative(root, relayEntryPoint)} in ${Date.now() - started} ms`);
  else say("relay build is up to date");
}

async function main() {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void shutdown(0));

  if (buildOnly) {
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: config.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" };
    run(bin("prisma"), ["generate"], env);
    await buildIfNeeded(env);
    await buildRelayIfNeeded();
    return;
  }

  const secrets = localSecrets();
  let databaseUrl = config.DATABASE_URL;
  const baseEnv = { ...process.env, ...secrets, NEXT_TELEMETRY_DISABLED: "1" };

  if (!databaseUrl) {
    const dbDir = path.join(dataDir, "pglite");
    say(`DATABASE_URL not set: starting the embedded PGlite database (${path.relative(root, dbDir)}, port ${config.PGLITE_PORT})`);
    startChild("db", bin("pglite-server"), [`--db=${dbDir}`, `--port=${config.PGLITE_PORT}`, "--host=127.0.0.1", "--max-connections=20"], baseEnv);
    await waitForPort(config.PGLITE_PORT, 60_000);
    databaseUrl = `postgresql://postgres@127.0.0.1:${config.PGLITE_PORT}/postgres`;
  }

  const webUrl = config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`;
  const relayPublicUrl = config.RELAY_PUBLIC_URL ?? `ws://127.0.0.1:${config.RELAY_PORT}`;
  const env = {
    ...baseEnv,
    DATABASE_URL: databaseUrl,
    PORT: String(config.PORT),
    RELAY_PORT: String(config.RELAY_PORT),
    NEXTAUTH_URL: webUrl,
    PUBLIC_WEB_URL: webUrl,
    RELAY_PUBLIC_URL: relayPublicUrl,
    RELAY_INTERNAL_URL: process.env.RELAY_INTERNAL_URL ?? `http://127.0.0.1:${config.RELAY_PORT}`,
    CONTROL_PLANE_URL: process.env.CONTROL_PLANE_URL ?? `http://127.0.0.1:${config.PORT}`,
    RELAY_DATA_DIR: process.env.RELAY_DATA_DIR ?? path.join(dataDir, "relay"),
    TOLLGATE_DATA_DIR: dataDir,
    ADMIN_EMAIL: config.ADMIN_EMAIL,
    ADMIN_PASSWORD: config.ADMIN_PASSWORD,
  };

  say("generating the Prisma client");
  run(bin("prisma"), ["generate"], env);
  say("applying migrations");
  run(bin("prisma"), ["migrate", "deploy"], env);
  say("seeding plans, admin and demo app");
  for (const line of run(bin("tsx"), ["prisma/seed.ts"], env).split("\n")) if (line.trim()) log("[seed] ", line);

  if (!devMode) {
    await buildIfNeeded(env);
    await buildRelayIfNeeded();
  }

  startChild("web", bin("next"), devMode ? ["dev", "-p", String(config.PORT)] : ["start", "-p", String(config.PORT)], env);
  // Production runs the compiled relay in one process; --dev runs its sources through tsx.
  if (devMode) startChild("relay", bin("tsx"), ["relay/src/main.ts"], env);
  else startChild("relay", process.execPath, ["--enable-source-maps", relayEntryPoint], env);
  await waitForHttp(`http://127.0.0.1:${config.PORT}/api/health`, devMode ? 120_000 : 60_000);
  await waitForHttp(`http://127.0.0.1:${config.RELAY_PORT}/healthz`, 30_000);

  say("──────────────────────────────────────────────");
  say(`Tollgate is running`);
  say(`  dashboard  ${webUrl}   (admin: ${config.ADMIN_EMAIL} / ${process.env.ADMIN_PASSWORD ? "<ADMIN_PASSWORD>" : config.ADMIN_PASSWORD})`);
  say(`  relay      ${relayPublicUrl}/v1`);
  say(`  demo keys  ${path.relative(root, path.join(dataDir, "demo-credentials.json"))}`);
  say("Press Ctrl-C to stop.");
  say("──────────────────────────────────────────────");
}

main().catch((error) => {
  console.error(`[tollgate] ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
