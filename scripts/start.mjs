#!/usr/bin/env node
// `npm start`: one command from a fresh clone to a running Tollgate on embedded defaults.
// Generates the Prisma client, starts the embedded PostgreSQL unless DATABASE_URL is set, migrates,
// seeds, builds the web app and compiles the relay and the web server when their sources changed, then
// runs the web app and the relay with prefixed logs, and shuts every child down cleanly on Ctrl-C /
// SIGTERM (the database last).
//   npm start            production build (rebuilt only when sources change)
//   npm start -- --dev   next dev instead of a build
//   node scripts/start.mjs --build-only   generate + build web app, relay and web server when needed, then exit (the test runner's first step)
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { buildRelay, relayEntryPoint } from "../relay/build.mjs";
import { buildWebServer, webServerEntryPoint } from "../server/build.mjs";
import { withDirectoryLock } from "./directory-lock.mjs";
import { embeddedDatabaseUrl, spawnEmbeddedPostgres } from "./embedded-postgres.mjs";
import { generatePrismaClientIfNeeded } from "./prisma-client.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const devMode = process.argv.includes("--dev");
const buildOnly = process.argv.includes("--build-only");
// `npm run start:web`: one more web replica for a running Tollgate (same database, Redis and secrets): no
// database server, migrations, seed or relay of its own.
const webOnly = process.argv.includes("--web-only");

const portSchema = z.coerce.number().int().min(1).max(65535);
const launcherEnvSchema = z.object({
  PORT: portSchema.default(3000),
  RELAY_PORT: portSchema.default(8080),
  EMBEDDED_PG_PORT: portSchema.default(54329),
  DATABASE_URL: z.string().url("must be a postgresql:// URL").optional(),
  TOLLGATE_DATA_DIR: z.string().default(".data"),
  ADMIN_EMAIL: z.string().email().default("admin@tollgate.local"),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  SEED_DEMO: z.enum(["0", "1"], { error: "must be 0 or 1" }).optional(),
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
/** The embedded database's cluster (its files belong to PostgreSQL, which keeps them private itself). */
const clusterDir = path.join(dataDir, "postgres");
const embedded = !config.DATABASE_URL;
// The well-known local credentials are for the embedded default only: against a real database the
// admin password must be chosen, and a demo tenant with a known password exists only when asked for.
if (!embedded && !config.ADMIN_PASSWORD && !buildOnly && !webOnly) {
  console.error("Tollgate cannot start: ADMIN_PASSWORD is required when DATABASE_URL is set (at least 8 characters)");
  process.exit(2);
}
const adminPassword = config.ADMIN_PASSWORD ?? "tollgate-admin";
const seedDemo = (config.SEED_DEMO ?? (embedded ? "1" : "0")) === "1";

function log(prefix, line) {
  process.stdout.write(`${prefix} ${line}\n`);
}
const say = (line) => log("[tollgate]", line);

/**
 * Everything under the data directory is the user's alone: directories 0700, files 0600 (this also
 * repairs a directory left by an older Tollgate). The cluster directory is PostgreSQL's to keep.
 */
function makeDataDirPrivate() {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const walk = (dir) => {
    chmodSync(dir, 0o700);
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (full === clusterDir || full === `${clusterDir}.init`) continue;
      const stat = lstatSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(full, stat.mode & 0o700);
    }
  };
  walk(dataDir);
  if (existsSync(path.join(dataDir, "pglite"))) {
    say(`${path.relative(root, path.join(dataDir, "pglite"))} holds the database of an older Tollgate (PGlite): no longer used, not migrated; remove it when you no longer need it`);
  }
}

/** Secrets a production deployment sets; for local use they are generated once and kept in .data/. */
function localSecrets() {
  const file = path.join(dataDir, "local-secrets.json");
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const generated = {
    NEXTAUTH_SECRET: stored.NEXTAUTH_SECRET ?? randomBytes(32).toString("base64url"),
    RELAY_SECRET: stored.RELAY_SECRET ?? randomBytes(32).toString("base64url"),
    KEY_ENCRYPTION_KEY: stored.KEY_ENCRYPTION_KEY ?? randomBytes(32).toString("base64"),
  };
  // The embedded database's password is set when its cluster is created and lives only here.
  const databasePassword = stored.EMBEDDED_PG_PASSWORD ?? randomBytes(24).toString("base64url");
  writeFileSync(file, `${JSON.stringify({ ...generated, EMBEDDED_PG_PASSWORD: databasePassword }, null, 2)}\n`, { mode: 0o600 });
  const secrets = {};
  for (const [name, value] of Object.entries(generated)) {
    if (process.env[name]) secrets[name] = process.env[name];
    else {
      secrets[name] = value;
      say(`${name} not set: using a local one kept in ${path.relative(root, file)}`);
    }
  }
  return { secrets, databasePassword };
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

function tcpReachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1_000 });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
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
/** The embedded PostgreSQL's process (see embedded-postgres.mjs), stopped after every other child. */
let database = null;
let shuttingDown = false;

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
      for (const line of lines) if (line.trim()) log(prefix, line);
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
  await Promise.all(children.filter((c) => c.name !== "relay").map((c) => stopChild(c, 10_000)));
  if (database) await database.stop(30_000);
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
  for (const file of ["next.config.js", "instrumentation.ts", "package-lock.json", "tsconfig.json"]) {
    if (existsSync(path.join(root, file))) hash.update(readFileSync(path.join(root, file)));
  }
  return hash.digest("hex");
}

function buildIsCurrent(stampFile, hash) {
  return existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash;
}

/**
 * Builds when the sources changed. Several launchers may start at once (parallel test files); the lock
 * makes the others wait for the one build instead of writing into the same .next together.
 */
async function buildIfNeeded(env) {
  const stampFile = path.join(root, ".next", "tollgate-source-hash");
  const current = sourceHash();
  if (buildIsCurrent(stampFile, current)) {
    say("web app build is up to date");
    return;
  }
  await withDirectoryLock(path.join(root, ".next-build.lock"), () => {
    if (buildIsCurrent(stampFile, current)) return;
    say("building the web app (first start or sources changed; takes a minute or two)…");
    const started = Date.now();
    run(bin("next"), ["build"], env);
    writeFileSync(stampFile, current);
    say(`web app built in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}

async function generatePrismaClient(env) {
  if (await generatePrismaClientIfNeeded(root, () => run(bin("prisma"), ["generate"], env))) say("generated the Prisma client");
  else say("the Prisma client is up to date");
}

/** The relay and the web app's HTTP server, each compiled to one JavaScript module when a source changed. */
async function buildServersIfNeeded() {
  for (const [name, build, entryPoint] of [["relay", buildRelay, relayEntryPoint], ["web server", buildWebServer, webServerEntryPoint]]) {
    const started = Date.now();
    if (await build()) say(`${name} compiled to ${path.relative(root, entryPoint)} in ${Date.now() - started} ms`);
    else say(`${name} build is up to date`);
  }
}

async function main() {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void shutdown(0));

  if (buildOnly) {
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: config.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" };
    await generatePrismaClient(env);
    await buildIfNeeded(env);
    await buildServersIfNeeded();
    return;
  }

  // What the launcher and its children write (relay state, credentials, build output) is private.
  process.umask(0o077);
  makeDataDirPrivate();
  const { secrets, databasePassword } = localSecrets();
  let databaseUrl = config.DATABASE_URL;
  const baseEnv = { ...process.env, ...secrets, NEXT_TELEMETRY_DISABLED: "1" };

  if (embedded && webOnly) {
    databaseUrl = embeddedDatabaseUrl({ port: config.EMBEDDED_PG_PORT, password: databasePassword });
    if (!(await tcpReachable("127.0.0.1", config.EMBEDDED_PG_PORT))) {
      throw new Error(`no embedded PostgreSQL on 127.0.0.1:${config.EMBEDDED_PG_PORT}: start Tollgate with \`npm start\` first, or set DATABASE_URL`);
    }
    say(`DATABASE_URL not set: joining the embedded PostgreSQL of the running \`npm start\` (127.0.0.1:${config.EMBEDDED_PG_PORT})`);
  } else if (embedded) {
    say(`DATABASE_URL not set: starting the embedded PostgreSQL (${path.relative(root, clusterDir)}, 127.0.0.1:${config.EMBEDDED_PG_PORT})`);
    const started = Date.now();
    database = spawnEmbeddedPostgres({ clusterDir, port: config.EMBEDDED_PG_PORT, password: databasePassword, onLine: (line) => log("[db]   ", line), env: baseEnv });
    void database.exited.then(({ code, signal }) => {
      if (!shuttingDown) {
        say(`db exited unexpectedly (${signal ?? `code ${code}`}); stopping Tollgate`);
        void shutdown(1);
      }
    });
    await database.ready;
    say(`embedded PostgreSQL ready in ${Date.now() - started} ms`);
    databaseUrl = embeddedDatabaseUrl({ port: config.EMBEDDED_PG_PORT, password: databasePassword });
  }

  const webUrl = config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`;
  const relayPublicUrl = config.RELAY_PUBLIC_URL ?? `ws://127.0.0.1:${config.RELAY_PORT}`;
  const env = {
    ...baseEnv,
    DATABASE_URL: databaseUrl,
    PORT: String(config.PORT),
    RELAY_PORT: String(config.RELAY_PORT),
    NEXTAUTH_URL: webUrl,
    RELAY_PUBLIC_URL: relayPublicUrl,
    RELAY_INTERNAL_URL: process.env.RELAY_INTERNAL_URL ?? `http://127.0.0.1:${config.RELAY_PORT}`,
    CONTROL_PLANE_URL: process.env.CONTROL_PLANE_URL ?? `http://127.0.0.1:${config.PORT}`,
    RELAY_DATA_DIR: process.env.RELAY_DATA_DIR ?? path.join(dataDir, "relay"),
    TOLLGATE_DATA_DIR: dataDir,
    ADMIN_EMAIL: config.ADMIN_EMAIL,
    ADMIN_PASSWORD: adminPassword,
    SEED_DEMO: seedDemo ? "1" : "0",
  };

  if (webOnly) {
    // A replica serves the build the running Tollgate serves: rebuilding here would rewrite it under it.
    if (!existsSync(path.join(root, ".next", "BUILD_ID")) || !existsSync(webServerEntryPoint)) {
      throw new Error("no web app build yet: start Tollgate with `npm start` (or `node scripts/start.mjs --build-only`) first");
    }
    startChild("web", process.execPath, ["--enable-source-maps", webServerEntryPoint], env);
    await waitForHttp(`http://127.0.0.1:${config.PORT}/api/health`, 60_000);
    say(`web replica running on port ${config.PORT} (${webUrl}); put it behind the load balancer with the others`);
    return;
  }

  await generatePrismaClient(env);
  say("applying migrations");
  run(bin("prisma"), ["migrate", "deploy"], env);
  say(seedDemo ? "seeding plans, admin and demo app" : "seeding plans and admin (no demo tenant: SEED_DEMO=1 adds one)");
  for (const line of run(bin("tsx"), ["prisma/seed.ts"], env).split("\n")) if (line.trim()) log("[seed] ", line);

  if (!devMode) {
    await buildIfNeeded(env);
    await buildServersIfNeeded();
  }

  // Not `next start`: server/web-server.ts tells the app each request's socket address (rate limits)
  // and holds off slow clients. Production runs both servers compiled; --dev runs their sources through tsx.
  if (devMode) startChild("web", bin("tsx"), ["server/web-server.ts", "--dev"], env);
  else startChild("web", process.execPath, ["--enable-source-maps", webServerEntryPoint], env);
  if (devMode) startChild("relay", bin("tsx"), ["relay/src/main.ts"], env);
  else startChild("relay", process.execPath, ["--enable-source-maps", relayEntryPoint], env);
  await waitForHttp(`http://127.0.0.1:${config.PORT}/api/health`, devMode ? 120_000 : 60_000);
  await waitForHttp(`http://127.0.0.1:${config.RELAY_PORT}/healthz`, 30_000);

  say("──────────────────────────────────────────────");
  say(`Tollgate is running`);
  // Only the embedded default's well-known password is ever printed; a chosen one never is.
  say(`  dashboard  ${webUrl}   (admin: ${config.ADMIN_EMAIL} / ${config.ADMIN_PASSWORD ? "<ADMIN_PASSWORD>" : adminPassword})`);
  say(`  relay      ${relayPublicUrl}/v1`);
  if (seedDemo) say(`  demo keys  ${path.relative(root, path.join(dataDir, "demo-credentials.json"))}`);
  say("Press Ctrl-C to stop.");
  say("──────────────────────────────────────────────");
}

main().catch((error) => {
  console.error(`[tollgate] ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
