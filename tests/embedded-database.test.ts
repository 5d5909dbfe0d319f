// `npm start`'s embedded database under concurrency, on the real stack exactly as the launcher runs it
// (DATABASE_URL unset): the concurrent-clients check that PGlite's socket server failed (every answer
// wrong: one session shared by all connections), two tenants hammering their own resources with no
// foreign data and no server error, and what the run leaves on disk (private modes, no secret in clear).
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SessionClient } from "./helpers/session-client";
import { createPaidApp } from "./helpers/paid-app";
import { startStack, type Stack } from "./helpers/stack";

const RACE_CHECK_MS = 5_000;
const HAMMER_MS = 25_000;
const USAGE_FLUSH_MS = 500;
const GOOD_CARD = "4242424242424242";

interface RaceResult {
  queries: number;
  wrong: number;
  errors: number;
}

/** Six clients each asking for their own distinct value while a seventh loops transactions. */
async function raceCheck(url: string, durationMs: number): Promise<RaceResult> {
  const result: RaceResult = { queries: 0, wrong: 0, errors: 0 };
  const deadline = Date.now() + durationMs;
  const clients = Array.from({ length: 7 }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((client) => client.connect()));
  const readers = clients.slice(0, 6).map(async (client, index) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const value = `client-${index}-query-${n}`;
      try {
        const answer = await client.query<{ v: string }>("SELECT $1::text AS v", [value]);
        result.queries++;
        if (answer.rows.length !== 1 || answer.rows[0]?.v !== value) result.wrong++;
      } catch {
        result.errors++;
      }
    }
  });
  const transactions = (async () => {
    const client = clients[6];
    if (!client) return;
    while (Date.now() < deadline) {
      try {
        await client.query("BEGIN");
        const answer = await client.query<{ one: number }>("SELECT 1 AS one");
        await client.query("COMMIT");
        result.queries += 3;
        if (answer.rows[0]?.one !== 1) result.wrong++;
      } catch {
        result.errors++;
      }
    }
  })();
  await Promise.all([...readers, transactions]);
  await Promise.all(clients.map((client) => client.end()));
  return result;
}

interface TenantRun {
  marker: string;
  email: string;
  session: SessionClient;
  appId: string;
  secretAuth: string;
  requests: number;
  serverErrors: string[];
  foreign: string[];
  topUps: number;
  published: number;
}

async function newTenant(stack: Stack, marker: string): Promise<TenantRun> {
  const session = new SessionClient(stack.webUrl);
  const email = `${marker}@example.com`;
  const password = "a-good-password-1";
  expect((await session.json("/api/auth/sign-up", { method: "POST", body: JSON.stringify({ email, password }) })).status).toBeLessThan(300);
  expect(await session.signIn(email, password)).toBe(true);
  const appId = await createPaidApp(session, `${marker} app`, "starter");
  const key = await session.json<{ key: { id: string }; secret: string }>(`/api/apps/${appId}/keys`, {
    method: "POST",
    body: JSON.stringify({ kind: "secret", name: `${marker} backend` }),
  });
  expect(key.status).toBe(201);
  return {
    marker,
    email,
    session,
    appId,
    secretAuth: `Bearer ${key.body.key.id}:${key.body.secret}`,
    requests: 0,
    serverErrors: [],
    foreign: [],
    topUps: 0,
    published: 0,
  };
}

/** Everything another tenant could leak: its marker (in every name it gives), app id and email. */
function foreignMarks(other: TenantRun): string[] {
  return [other.marker, other.appId, other.email];
}

async function hammer(stack: Stack, me: TenantRun, other: TenantRun, deadline: number): Promise<void> {
  const marks = foreignMarks(other);
  const record = async (label: string, request: () => Promise<Response>): Promise<{ status: number; text: string }> => {
    me.requests++;
    let response: Response;
    try {
      response = await request();
    } catch (error) {
      me.serverErrors.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      return { status: 0, text: "" };
    }
    const text = await response.text();
    if (response.status >= 500) me.serverErrors.push(`${label}: ${response.status} ${text.slice(0, 200)}`);
    for (const mark of marks) if (text.includes(mark)) me.foreign.push(`${label} showed ${mark}`);
    return { status: response.status, text };
  };
  const json = (pathname: string, init: RequestInit = {}) =>
    me.session.fetch(pathname, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
  const v1 = (pathname: string, init: RequestInit = {}) =>
    fetch(new URL(pathname, stack.webUrl), { ...init, headers: { authorization: me.secretAuth, "content-type": "application/json" } });

  const reads = async () => {
    while (Date.now() < deadline) {
      await record("list apps", () => json("/api/apps"));
      await record("get app", () => json(`/api/apps/${me.appId}`));
      await record("list keys", () => json(`/api/apps/${me.appId}/keys`));
      await record("usage", () => json(`/api/apps/${me.appId}/usage`));
      // Another tenant's app must look like no app at all.
      const probe = await record("foreign app", () => json(`/api/apps/${other.appId}`));
      if (probe.status !== 404) me.foreign.push(`foreign app answered ${probe.status}`);
    }
  };
  const writes = async () => {
    for (let n = 0; Date.now() < deadline; n++) {
      const created = await record("create key", () => json(`/api/apps/${me.appId}/keys`, { method: "POST", body: JSON.stringify({ kind: "publishable", name: `${me.marker} key ${n}` }) }));
      if (created.status === 201) {
        const keyId = (JSON.parse(created.text) as { key: { id: string } }).key.id;
        await record("revoke key", () => json(`/api/apps/${me.appId}/keys/${keyId}`, { method: "DELETE" }));
      }
      await record("rename app", () => json(`/api/apps/${me.appId}`, { method: "PATCH", body: JSON.stringify({ name: `${me.marker} app ${n}` }) }));
    }
  };
  const transactions = async () => {
    while (Date.now() < deadline) {
      const topUp = await record("top up", () => json(`/api/apps/${me.appId}/billing/top-up`, { method: "POST", body: JSON.stringify({ amountMinor: 100, cardNumber: GOOD_CARD }) }));
      if (topUp.status === 200) me.topUps++;
      await record("billing", () => json(`/api/apps/${me.appId}/billing`));
    }
  };
  const relayTraffic = async () => {
    while (Date.now() < deadline) {
      const minted = await record("mint token", () => v1("/v1/tokens", { method: "POST", body: JSON.stringify({ peerId: `${me.marker}-peer` }) }));
      if (minted.status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const { token } = JSON.parse(minted.text) as { token: string };
      const acked = await publishOverWebSocket(`${stack.relayUrl}/v1?token=${token}`, `${me.marker}-room`, 20, deadline);
      me.published += acked;
      await record("v1 usage", () => v1("/v1/usage"));
    }
  };
  await Promise.all([reads(), reads(), writes(), transactions(), relayTraffic()]);
}

/** Publishes up to `count` messages on one connection; resolves with how many were acknowledged. */
function publishOverWebSocket(url: string, channel: string, count: number, deadline: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    let acked = 0;
    let sent = 0;
    const finish = () => {
      socket.terminate();
      resolve(acked);
    };
    const timer = setTimeout(finish, Math.max(1_000, deadline - Date.now() + 1_000));
    const next = () => {
      if (sent >= count || Date.now() > deadline) {
        clearTimeout(timer);
        finish();
        return;
      }
      socket.send(JSON.stringify({ type: "publish", channel, data: { n: sent }, requestId: `p${sent}` }));
      sent++;
    };
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === "welcome") next();
      else if (frame.type === "ack") {
        acked++;
        next();
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(acked);
    });
    socket.on("error", () => undefined);
  });
}

function walk(dir: string, visit: (file: string, isDirectory: boolean) => void): void {
  visit(dir, true);
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const stat = lstatSync(full);
    if (stat.isDirectory()) walk(full, visit);
    else visit(full, false);
  }
}

describe("npm start's embedded PostgreSQL, on the real stack", () => {
  let stack: Stack;
  const tenants: TenantRun[] = [];

  beforeAll(async () => {
    stack = await startStack({ embeddedDatabase: true, usageFlushMs: USAGE_FLUSH_MS });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("is a real PostgreSQL bound to 127.0.0.1 that refuses a wrong password", async () => {
    const url = new URL(stack.databaseUrl);
    expect(url.hostname).toBe("127.0.0.1");
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ version: string; listen: string }>("SELECT version() AS version, current_setting('listen_addresses') AS listen");
    await client.end();
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    expect(rows[0]?.listen).toBe("127.0.0.1");
    url.password = "not-the-password";
    const wrongPassword = new pg.Client({ connectionString: url.toString() });
    await expect(wrongPassword.connect()).rejects.toThrow(/password authentication failed/);
  });

  it("answers concurrent clients correctly: 6 parameterised readers and a transaction loop, 0 wrong and 0 errors", async () => {
    const result = await raceCheck(stack.databaseUrl, RACE_CHECK_MS);
    console.log(`race check against the embedded default, ${RACE_CHECK_MS} ms: ${result.queries} queries, ${result.wrong} wrong, ${result.errors} errors`);
    expect(result).toMatchObject({ wrong: 0, errors: 0 });
    // Far more than a serialised single session would manage; a floor that still holds on a loaded machine.
    expect(result.queries).toBeGreaterThan(1_000);
  }, 30_000);

  it(`two tenants hammering their own apps for ${HAMMER_MS / 1000} s see only their own data and get no server error`, async () => {
    const suffix = Date.now().toString(36);
    tenants.push(await newTenant(stack, `alpha-${suffix}`), await newTenant(stack, `bravo-${suffix}`));
    const [alpha, bravo] = tenants as [TenantRun, TenantRun];
    const deadline = Date.now() + HAMMER_MS;
    await Promise.all([hammer(stack, alpha, bravo, deadline), hammer(stack, bravo, alpha, deadline)]);
    for (const tenant of tenants) {
      console.log(
        `two-tenant run, ${tenant.marker}: ${tenant.requests} requests, ${tenant.serverErrors.length} server errors, ${tenant.foreign.length} foreign, ${tenant.topUps} top-ups, ${tenant.published} messages acked`,
      );
    }
    for (const tenant of tenants) {
      expect(tenant.serverErrors).toEqual([]);
      expect(tenant.foreign).toEqual([]);
      expect(tenant.topUps).toBeGreaterThan(0);
      expect(tenant.published).toBeGreaterThan(0);
    }
    // Each balance is exactly its own top-ups (Starter has overages off: nothing else moves money), and the
    // relay's usage flushes landed on the right app.
    for (const tenant of tenants) {
      const billing = await tenant.session.json<{ balanceMinor: number }>(`/api/apps/${tenant.appId}/billing`);
      expect(billing.body.balanceMinor).toBe(tenant.topUps * 100);
      let messagesUsed = 0;
      for (let attempt = 0; attempt < 50 && messagesUsed < tenant.published; attempt++) {
        const usage = await stack.db.usagePeriod.findFirst({ where: { appId: tenant.appId } });
        messagesUsed = Number(usage?.messagesUsed ?? 0);
        if (messagesUsed < tenant.published) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(messagesUsed).toBe(tenant.published);
    }
  }, HAMMER_MS + 90_000);

  it("leaves every file under the data directory private and no secret key's secret in clear outside the demo credentials", async () => {
    const secrets: string[] = [stack.demo.secretKey.secret];
    for (const tenant of tenants) secrets.push(tenant.secretAuth.split(":")[1] ?? "");
    expect(secrets.every((secret) => secret.length > 20)).toBe(true);
    const root = process.getuid?.() === 0;
    const problems: string[] = [];
    walk(stack.dataDir, (file, isDirectory) => {
      const mode = lstatSync(file).mode & 0o777;
      // As root the PostgreSQL server runs as `postgres` and may only traverse the data directory itself.
      const allowed = file === stack.dataDir && root ? 0o710 : isDirectory ? 0o700 : 0o600;
      if ((mode & ~allowed) !== 0) problems.push(`${path.relative(stack.dataDir, file) || "."} has mode ${mode.toString(8)}`);
      if (isDirectory || path.basename(file) === "demo-credentials.json") return;
      const content = readFileSync(file);
      for (const secret of secrets) if (content.includes(secret)) problems.push(`${path.relative(stack.dataDir, file)} holds a secret in clear`);
    });
    expect(problems).toEqual([]);
    // The app states the relay holds (which carry their signing secrets) are on disk, sealed.
    expect(readFileSync(path.join(stack.dataDir, "relay", "app-states.json"), "utf8")).toContain("tollgate-sealed-v1");
  });
});
