// /v1 request limits (lib/http/api-rate-limits.ts): a caller over its key's rate is refused before any
// database query, and the app and tenant limits hold however many keys or apps a tenant spreads a flood over.
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as usageRoute } from "@/app/v1/usage/route";
import type { Db } from "@/lib/db";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { API_RATE_LIMIT_MULTIPLES } from "@/lib/http/api-rate-limits";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const RATE_LIMIT_PER_SECOND = 1;
let harness: RouteHarness;
let queries = 0;

/** The client the routes use in this file: the harness's database, every query counted. */
function countingClient(url: string) {
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: "event", level: "query" }] });
  client.$on("query", () => {
    queries += 1;
  });
  return client;
}
let countingDb: ReturnType<typeof countingClient>;

beforeAll(async () => {
  harness = await startRouteHarness({ apiRateLimitPerSecond: RATE_LIMIT_PER_SECOND });
  countingDb = countingClient(process.env.DATABASE_URL ?? "");
  (globalThis as { tollgatePrisma?: Db }).tollgatePrisma = countingDb;
});
afterAll(async () => {
  await countingDb?.$disconnect();
  await harness?.stop();
});

let addressCounter = 0;
function newAddress(): string {
  addressCounter += 1;
  return `203.0.113.${addressCounter}`;
}

async function newKey(options: { tenantId?: string; appId?: string } = {}) {
  const tenantId = options.tenantId ?? (await createUser(harness.db)).tenantId;
  const appId = options.appId ?? (await createTestApp(harness.db, { tenantId })).id;
  const key = await createApiKey(harness.db, { appId, kind: "secret", name: "backend", encryptionKey: TEST_ENCRYPTION_KEY });
  return { tenantId, appId, authorization: `Bearer ${key.id}:${key.secret}` };
}

function call(authorization: string, address = newAddress()) {
  return invoke<{ error?: string; message?: string }>(usageRoute, { headers: { authorization, "x-tollgate-peer-address": address } });
}

describe("a flood on one key", () => {
  it("is refused with 429 before any database query, from however many addresses; another tenant's key keeps working", async () => {
    const flooded = await newKey();
    const other = await newKey();
    expect((await call(flooded.authorization)).status).toBe(200);
    queries = 0;
    expect((await call(flooded.authorization)).status).toBe(200);
    expect(queries).toBeGreaterThan(0);

    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const before = queries;
      const res = await call(flooded.authorization);
      if (res.status === 200) continue;
      expect(res.status).toBe(429);
      expect(res.body.message).toMatch(/per key/);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(queries, "a refused request ran a query").toBe(before);
      refused += 1;
    }
    expect(refused).toBeGreaterThanOrEqual(20);
    expect((await call(other.authorization)).status).toBe(200);
  });

  it("from one address is refused by the address's limit before any query, also on the address's other keys", async () => {
    const { authorization } = await newKey();
    const { authorization: sameTenantOtherKey } = await newKey();
    const address = newAddress();
    const addressBurst = RATE_LIMIT_PER_SECOND * API_RATE_LIMIT_MULTIPLES.address * 2;
    const before = queries;
    // One batch: every request passes the checks before any of them reaches the database.
    const results = await Promise.all([...Array.from({ length: addressBurst + 20 }, () => call(authorization, address)), call(sameTenantOtherKey, address)]);
    const refusedForAddress = results.filter((res) => res.status === 429 && /per address/.test(res.body.message ?? ""));
    expect(refusedForAddress.length).toBeGreaterThanOrEqual(20);
    expect(results.at(-1)?.body.message).toMatch(/per address/);
    // Only requests past the address's limit ran queries (a key lookup, now and then a lastUsedAt write).
    expect(queries - before).toBeLessThanOrEqual(2 * (results.length - refusedForAddress.length));
    expect((await call(sameTenantOtherKey)).status).toBe(200);
  });
});

describe("limits per app and per tenant", () => {
  it("hold when a flood is spread over many keys of one app", async () => {
    const first = await newKey();
    const keys = [first, ...(await Promise.all(Array.from({ length: 5 }, () => newKey({ tenantId: first.tenantId, appId: first.appId }))))];
    const results = await Promise.all(keys.flatMap((key) => [call(key.authorization), call(key.authorization)]));
    const appRefusals = results.filter((res) => res.status === 429 && /per app/.test(res.body.message ?? ""));
    expect(appRefusals.length).toBeGreaterThan(0);
    expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(RATE_LIMIT_PER_SECOND * API_RATE_LIMIT_MULTIPLES.app * 2 + 2);
    expect((await call((await newKey({ tenantId: first.tenantId })).authorization)).status).toBe(200);
  });

  it("hold when a flood is spread over many apps of one tenant; another tenant is unaffected", async () => {
    const first = await newKey();
    const keys = [first, ...(await Promise.all(Array.from({ length: 7 }, () => newKey({ tenantId: first.tenantId }))))];
    const results = await Promise.all(keys.flatMap((key) => [call(key.authorization), call(key.authorization)]));
    const tenantRefusals = results.filter((res) => res.status === 429 && /per tenant/.test(res.body.message ?? ""));
    expect(tenantRefusals.length).toBeGreaterThan(0);
    expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(RATE_LIMIT_PER_SECOND * API_RATE_LIMIT_MULTIPLES.tenant * 2 + 2);
    expect((await call((await newKey()).authorization)).status).toBe(200);
  });
});
