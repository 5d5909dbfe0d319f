// Benchmark (a script, not a test): `npm run bench:scale-apps` (a few minutes; BENCH_APPS=1000000 for a
// million apps, BENCH_STEADY_MS to shorten the steady-traffic minute). Does a relay fleet stay cheap when
// the database holds far more apps than any relay serves (issue 24)? Seeds a scratch database with
// BENCH_APPS apps of three keys each (one secret, two publishable; key material from lib/keys/key-material.ts,
// written with a few multi-row INSERTs), runs the control plane's relay routes in a process of their own
// (bench/scale-apps-control-plane.ts) and real relay processes (the production bundle, in-memory state),
// and prints:
//   - control-plane CPU per relay poll of the change feed, with nothing changed (goal ≤ 10 ms) and with one
//     app changed (the poll and the relay's reload of that app);
//   - time from a relay's start to /readyz 200 (goal ≤ 10 s);
//   - first-connect latency of apps the relay has not seen, against a second connect of the same app
//     (p50/p95; goal: ≤ 50 ms extra at p95);
//   - the relay's memory with one connection for each of 1,000 apps;
//   - control-plane CPU with 3 relays, as a share of one core (goal ≤ 5 %): first with idle connections
//     (feed polls only), then with steady traffic (one publish a second from each of
//     BENCH_STEADY_APPS_PER_RELAY apps per relay, default 10), whose usage batches the control plane applies.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";
import type { Db } from "../lib/db";
import { encryptSecret, hashSecret, newPublishableKeyId, newSecretKeyPair, visiblePrefix } from "../lib/keys/key-material";
import { recordRelayChange } from "../lib/relay/relay-feed";
import { buildRelay, relayEntryPoint } from "../relay/build.mjs";
import { ControlPlanePath, DEFAULT_PUBLISHABLE_KEY_ACTIONS, DEFAULT_SECRET_KEY_ACTIONS, INTERNAL_AUTH_HEADER, KeyPrefix } from "../relay/src/protocol";
import type { ChangeFeedResponse } from "../relay/src/protocol";
import { METRICS_TOKEN } from "../relay/test/helpers";
import { RelayCluster, cpuSeconds } from "../relay/test/multinode/cluster";
import type { RelayNode } from "../relay/test/multinode/cluster";
import { createUser, seedPlans, TEST_ENCRYPTION_KEY } from "../tests/helpers/fixtures";
import { createTestDatabase } from "../tests/helpers/test-database";
import { percentile, rssBytes } from "./bench-stats";

const APPS = Number(process.env.BENCH_APPS ?? 100_000);
const STEADY_MS = Number(process.env.BENCH_STEADY_MS ?? 60_000);
/** Apps seeded per INSERT of keys (three keys each). */
const SEED_CHUNK = 10_000;
const WARM_UP_POLLS = 30;
const IDLE_POLLS = 300;
const CHANGED_POLLS = 100;
const UNSEEN_CONNECTS = 300;
const MEMORY_APPS = 1_000;
const STEADY_RELAYS = 3;
const STEADY_APPS_PER_RELAY = Number(process.env.BENCH_STEADY_APPS_PER_RELAY ?? 10);
const STEADY_PUBLISH_INTERVAL_MS = 1_000;
const GOALS = { idlePollCpuMs: 10, readySeconds: 10, firstConnectExtraP95Ms: 50, steadyCoreShare: 0.05 };
const RELAY_SECRET = randomBytes(32).toString("base64url");

interface SeededApp {
  appId: string;
  publishableKeyId: string;
}

function appIdOf(n: number): string {
  return `${KeyPrefix.app}bench${String(n).padStart(7, "0")}`;
}

/** Apps (of one team, with its one billing account) and three keys per app; returns a publishable key of each app. */
async function seed(db: Db, count: number): Promise<SeededApp[]> {
  await seedPlans(db);
  const user = await createUser(db);
  // One client address makes every connect here: the plan's per-IP connect limit must not be what is measured.
  const plan = await db.plan.update({ where: { slug: "starter" }, data: { connectAttemptsPerIpPerMinute: 1_000_000 } });
  await db.billingAccount.create({ data: { tenantId: user.tenantId } });
  const apps: SeededApp[] = [];
  for (let first = 1; first <= count; first += SEED_CHUNK) {
    const last = Math.min(count, first + SEED_CHUNK - 1);
    await db.$executeRaw`
      INSERT INTO "App" (id, "tenantId", name, "planId", "updatedAt")
      SELECT ${`${KeyPrefix.app}bench`} || lpad(n::text, 7, '0'), ${user.tenantId}, 'Bench ' || n, ${plan.id}, now()
      FROM generate_series(${first}::int, ${last}::int) AS n`;
    const ids: string[] = [];
    const appIds: string[] = [];
    const kinds: string[] = [];
    const hashes: (string | null)[] = [];
    const ciphertexts: (string | null)[] = [];
    const prefixes: (string | null)[] = [];
    for (let n = first; n <= last; n++) {
      const appId = appIdOf(n);
      const pair = newSecretKeyPair();
      ids.push(pair.keyId);
      appIds.push(appId);
      kinds.push("secret");
      hashes.push(hashSecret(pair.secret));
      ciphertexts.push(encryptSecret(pair.secret, TEST_ENCRYPTION_KEY));
      prefixes.push(visiblePrefix(pair.secret));
      for (let i = 0; i < 2; i++) {
        const keyId = newPublishableKeyId();
        if (i === 0) apps.push({ appId, publishableKeyId: keyId });
        ids.push(keyId);
        appIds.push(appId);
        kinds.push("publishable");
        hashes.push(null);
        ciphertexts.push(null);
        prefixes.push(null);
      }
    }
    await db.$executeRaw`
      INSERT INTO "ApiKey" (id, "appId", kind, name, "secretHash", "secretCiphertext", "secretPrefix", "channelPatterns", actions, "allowedOrigins")
      SELECT k.id, k.app, k.kind::"ApiKeyKind", 'bench', k.hash, k.cipher, k.prefix, ARRAY['**'],
             CASE k.kind WHEN 'secret' THEN ${[...DEFAULT_SECRET_KEY_ACTIONS]}::text[] ELSE ${[...DEFAULT_PUBLISHABLE_KEY_ACTIONS]}::text[] END,
             ARRAY[]::text[]
      FROM unnest(${ids}::text[], ${appIds}::text[], ${kinds}::text[], ${hashes}::text[], ${ciphertexts}::text[], ${prefixes}::text[])
        AS k(id, app, kind, hash, cipher, prefix)`;
  }
  await db.$executeRaw`ANALYZE`;
  return apps;
}

/** The control plane's relay routes in a process of their own; resolves once it listens. */
async function startControlPlane(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    RELAY_SECRET,
    KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    // Change notices go nowhere: the relays here learn changes by polling, as after a lost notice.
    RELAY_INTERNAL_URL: "http://127.0.0.1:9",
    NODE_ENV: "production",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "bench/scale-apps-control-plane.ts"], { env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match?.[1]) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`control plane exited (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const relayAuth = { [INTERNAL_AUTH_HEADER]: `Bearer ${RELAY_SECRET}` };

async function poll(controlPlaneUrl: string, since: string | null): Promise<ChangeFeedResponse> {
  const query = since === null ? "" : `?since=${encodeURIComponent(since)}`;
  const response = await fetch(`${controlPlaneUrl}${ControlPlanePath.changes}${query}`, { headers: relayAuth });
  if (!response.ok) throw new Error(`feed answered ${response.status}`);
  return (await response.json()) as ChangeFeedResponse;
}

async function loadApps(controlPlaneUrl: string, appIds: string[]): Promise<void> {
  const response = await fetch(`${controlPlaneUrl}${ControlPlanePath.appStates}`, { method: "POST", headers: { ...relayAuth, "content-type": "application/json" }, body: JSON.stringify({ appIds }) });
  if (!response.ok) throw new Error(`app states answered ${response.status}`);
  await response.arrayBuffer();
}

/** Control-plane CPU (ms) per run of `step`, over `runs` runs. */
async function cpuPerRun(pid: number, runs: number, step: (i: number) => Promise<void>, outside?: (i: number) => Promise<void>): Promise<{ cpuMs: number; wallP50Ms: number }> {
  let cpu = 0;
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    await outside?.(i);
    const before = await cpuSeconds(pid);
    const started = performance.now();
    await step(i);
    walls.push(performance.now() - started);
    cpu += (await cpuSeconds(pid)) - before;
  }
  return { cpuMs: (cpu * 1000) / runs, wallP50Ms: percentile(walls, 0.5) };
}

/** Opens a connection with the publishable key; resolves with ms to its welcome. */
function connect(relay: RelayNode, keyId: string, sockets: WebSocket[]): Promise<number> {
  const started = performance.now();
  const ws = new WebSocket(`${relay.url}/v1?key=${keyId}`);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type === "welcome") resolve(performance.now() - started);
      else reject(new Error(`expected welcome, got ${frame.type}`));
    });
    ws.once("close", (code) => reject(new Error(`closed with ${code} before welcome`)));
    ws.once("error", reject);
  });
}

async function heapUsedBytes(relay: RelayNode): Promise<number> {
  const text = await (await fetch(`${relay.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(/^relay_process_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? Number.NaN);
}

async function untilReady(relay: RelayNode, startedAt: number): Promise<number> {
  for (;;) {
    const response = await fetch(`${relay.httpUrl}/readyz`).catch(() => null);
    if (response?.status === 200) return (performance.now() - startedAt) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Requests per route the control plane has taken. */
async function requestCounts(controlPlaneUrl: string): Promise<Record<string, number>> {
  return (await (await fetch(`${controlPlaneUrl}/bench/requests`)).json()) as Record<string, number>;
}

/** What the control plane was asked between two counts, e.g. "3 feed polls, 18 usage batches". */
function requestsBetween(before: Record<string, number>, after: Record<string, number>): string {
  const names: Record<string, string> = {
    [`GET ${ControlPlanePath.changes}`]: "feed polls",
    [`POST ${ControlPlanePath.appStates}`]: "app-state lookups",
    [`POST ${ControlPlanePath.usage}`]: "usage batches",
    [`POST ${ControlPlanePath.recharge}`]: "recharges",
  };
  return Object.entries(names)
    .map(([route, name]) => `${(after[route] ?? 0) - (before[route] ?? 0)} ${name}`)
    .join(", ");
}

/**
 * Waits until the control plane is quiet (under 2 % of a core over 2 s, for at most a minute): the relay
 * stopped before the steady windows flushes usage for its 1,000 apps on the way out, and that batch's
 * work must not be counted in them.
 */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const before = await cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    if ((await cpuSeconds(pid)) - before < 0.04) return;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");

async function main(): Promise<void> {
  const rows: Array<[string, string, string]> = [];
  const database = await createTestDatabase();
  const sockets: WebSocket[] = [];
  let controlPlane: { child: ChildProcess; url: string } | null = null;
  let cluster: RelayCluster | null = null;
  try {
    const seedStarted = performance.now();
    const apps = await seed(database.db, APPS);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const sizeRows = await database.db.$queryRaw<Array<{ size: bigint }>>`SELECT pg_database_size(current_database()) AS size`;
    rows.push(["seeded", `${APPS.toLocaleString("en")} apps × 3 keys in ${seedSeconds.toFixed(1)} s`, `database ${mb(Number(sizeRows[0]?.size ?? 0))}`]);

    controlPlane = await startControlPlane(database.url);
    const cpUrl = controlPlane.url;
    const cpPid = controlPlane.child.pid ?? 0;
    const head = await poll(cpUrl, null);
    for (let i = 0; i < WARM_UP_POLLS; i++) await poll(cpUrl, head.cursor);
    await loadApps(cpUrl, [apps[0]?.appId ?? ""]);

    const idle = await cpuPerRun(cpPid, IDLE_POLLS, async () => void (await poll(cpUrl, head.cursor)));
    rows.push(["control-plane CPU per idle poll", `${ms(idle.cpuMs)} (wall p50 ${ms(idle.wallP50Ms)})`, `goal ≤ ${GOALS.idlePollCpuMs} ms: ${verdict(idle.cpuMs <= GOALS.idlePollCpuMs)}`]);

    let cursor = head.cursor;
    const changedApps = apps.slice(-CHANGED_POLLS);
    const changed = await cpuPerRun(
      cpPid,
      CHANGED_POLLS,
      async () => {
        const page = await poll(cpUrl, cursor);
        cursor = page.cursor;
        await loadApps(cpUrl, page.changes.map((change) => change.appId));
      },
      async (i) => database.db.$transaction((tx) => recordRelayChange(tx, { appId: changedApps[i]?.appId ?? "" })),
    );
    rows.push(["control-plane CPU per poll, one app changed", `${ms(changed.cpuMs)} (poll + reload of the app; wall p50 ${ms(changed.wallP50Ms)})`, ""]);

    await buildRelay();
    const relays = new RelayCluster({ redisUrl: "", controlPlaneUrl: cpUrl, relaySecret: RELAY_SECRET, keyPrefix: "" });
    cluster = relays;
    const startedAt = performance.now();
    const relay = await relays.startNode({}, { memoryState: true, builtEntryPoint: relayEntryPoint });
    const readySeconds = await untilReady(relay, startedAt);
    rows.push(["relay start → /readyz 200", `${readySeconds.toFixed(2)} s`, `goal ≤ ${GOALS.readySeconds} s: ${verdict(readySeconds <= GOALS.readySeconds)}`]);
    const rssReady = rssBytes(relay.child.pid ?? 0);
    const heapReady = await heapUsedBytes(relay);

    // Unseen apps spread over the table, so no lookup finds its rows cached by a neighbour's.
    const stride = Math.max(1, Math.floor(APPS / MEMORY_APPS));
    const memoryApps = Array.from({ length: MEMORY_APPS }, (_, i) => apps[i * stride]).filter((app): app is SeededApp => app !== undefined);
    const firsts: number[] = [];
    const seconds: number[] = [];
    for (const app of memoryApps.slice(0, UNSEEN_CONNECTS)) {
      firsts.push(await connect(relay, app.publishableKeyId, sockets));
      seconds.push(await connect(relay, app.publishableKeyId, sockets));
    }
    const extraP95 = percentile(firsts, 0.95) - percentile(seconds, 0.95);
    rows.push([
      "first connect, unseen app (p50 / p95)",
      `${ms(percentile(firsts, 0.5))} / ${ms(percentile(firsts, 0.95))}; held app ${ms(percentile(seconds, 0.5))} / ${ms(percentile(seconds, 0.95))}`,
      `extra at p95 ${ms(extraP95)}, goal ≤ ${GOALS.firstConnectExtraP95Ms} ms: ${verdict(extraP95 <= GOALS.firstConnectExtraP95Ms)}`,
    ]);
    for (let i = UNSEEN_CONNECTS; i < memoryApps.length; i += 50) {
      await Promise.all(memoryApps.slice(i, i + 50).map((app) => connect(relay, app.publishableKeyId, sockets)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    rows.push([
      `relay memory, ${memoryApps.length} apps connected (${sockets.length} connections)`,
      `RSS ${mb(rssBytes(relay.child.pid ?? 0))} (ready: ${mb(rssReady)}), heap ${mb(await heapUsedBytes(relay))} (ready: ${mb(heapReady)})`,
      "",
    ]);
    for (const ws of sockets.splice(0)) ws.terminate();
    await relays.stop();
    await settle(cpPid);

    // Three relays at their production timers (60 s feed poll, 10 s usage flush), each serving its own apps.
    const steadyRelays = await Promise.all(Array.from({ length: STEADY_RELAYS }, () => relays.startNode({}, { memoryState: true, builtEntryPoint: relayEntryPoint })));
    const publishers: WebSocket[] = [];
    for (const [r, steadyRelay] of steadyRelays.entries()) {
      const served = apps.slice(APPS / 2 + r * STEADY_APPS_PER_RELAY, APPS / 2 + (r + 1) * STEADY_APPS_PER_RELAY);
      await Promise.all(served.map((app) => connect(steadyRelay, app.publishableKeyId, publishers)));
    }
    const idleBefore = await cpuSeconds(cpPid);
    const idleRequests = await requestCounts(cpUrl);
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
    const idleShare = ((await cpuSeconds(cpPid)) - idleBefore) / (STEADY_MS / 1000);
    rows.push([
      `control-plane CPU, ${STEADY_RELAYS} relays, connections idle (${STEADY_MS / 1000} s)`,
      `${(idleShare * 100).toFixed(2)} % of a core (${publishers.length} apps connected; ${requestsBetween(idleRequests, await requestCounts(cpUrl))})`,
      `goal ≤ ${GOALS.steadyCoreShare * 100} %: ${verdict(idleShare <= GOALS.steadyCoreShare)}`,
    ]);
    let published = 0;
    const traffic = setInterval(() => {
      for (const ws of publishers) {
        ws.send(JSON.stringify({ type: "publish", channel: "steady", data: published }));
        published += 1;
      }
    }, STEADY_PUBLISH_INTERVAL_MS);
    const cpuBefore = await cpuSeconds(cpPid);
    const steadyRequests = await requestCounts(cpUrl);
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
    const share = ((await cpuSeconds(cpPid)) - cpuBefore) / (STEADY_MS / 1000);
    clearInterval(traffic);
    rows.push([
      `control-plane CPU, ${STEADY_RELAYS} relays, steady traffic (${STEADY_MS / 1000} s)`,
      `${(share * 100).toFixed(2)} % of a core (${published.toLocaleString("en")} publishes from ${publishers.length} apps; ${requestsBetween(steadyRequests, await requestCounts(cpUrl))})`,
      `goal ≤ ${GOALS.steadyCoreShare * 100} %: ${verdict(share <= GOALS.steadyCoreShare)}`,
    ]);
    for (const ws of publishers) ws.terminate();
  } finally {
    for (const ws of sockets) ws.terminate();
    await cluster?.stop();
    controlPlane?.child.kill("SIGTERM");
    await database.drop();
  }
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ")}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
