// Reads are reads: every GET under app/ (found on disk, like the protection and fuzz suites), called by
// its rightful caller, leaves the database as it was. A GET never charges, renews, creates an account
// or writes billing state; clock-driven work runs as jobs. Only the access log of /v1 requests is
// written by reads, on purpose (it is what the Activity tab shows), and a key's last use.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/authenticate";
import { createVictim, discoverRoutes, handlersOf, paramsFor, protectionOf, PUBLIC_ROUTES, SAME_SITE_PUBLIC_ROUTES, type DiscoveredRoute } from "@/tests/helpers/app-routes";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

/** Tables a read may write, and why. */
const WRITTEN_BY_READS: Record<string, string> = {
  ApiRequestLog: "the /v1 request log: every request, reads included, is recorded for the Activity tab",
};
/** Columns a read may write, and why. */
const COLUMNS_WRITTEN_BY_READS: Record<string, { column: string; why: string }> = {
  ApiKey: { column: "lastUsedAt", why: "when a key was last used, shown beside it on the Keys tab" },
};
/** next-auth's own endpoints are next-auth's code, not ours. */
const NOT_OURS = new Set(["/api/auth/[...nextauth]"]);

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

/** A digest of every row of every table (but the allowed ones): any insert, update or delete changes it. */
async function databaseDigest(): Promise<Record<string, string>> {
  const tables = await harness.db.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const digest: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    if (table in WRITTEN_BY_READS || table.startsWith("_prisma")) continue;
    const row = COLUMNS_WRITTEN_BY_READS[table] ? `(to_jsonb(t) - '${COLUMNS_WRITTEN_BY_READS[table].column}')::text` : "t::text";
    const [result] = await harness.db.$queryRawUnsafe<{ hash: string }[]>(`SELECT md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS hash FROM "${table}" t`);
    digest[table] = result?.hash ?? "";
  }
  return digest;
}

const readRoutes = discoverRoutes().filter((route) => !NOT_OURS.has(route.urlPath));

describe("a GET writes nothing", () => {
  it.each(readRoutes.map((route) => [route.urlPath, route] as [string, DiscoveredRoute]))("%s", async (_urlPath, route) => {
    const get = (await handlersOf(route)).find(([method]) => method === "GET")?.[1];
    if (!get) return;
    const victim = await createVictim(harness.db);
    const protection = route.urlPath in PUBLIC_ROUTES || route.urlPath in SAME_SITE_PUBLIC_ROUTES ? undefined : protectionOf(route.urlPath);
    const headers: Record<string, string> = { origin: "http://localhost" };
    if (protection === "api-key") headers.authorization = victim.apiKeyAuthorization;
    if (protection === "relay-secret") headers.authorization = `Bearer ${harness.relaySecret}`;
    session.user = protection === "admin" ? victim.admin : protection === "session" ? victim.owner : null;
    const before = await databaseDigest();
    const res = await invoke(get, { method: "GET", path: route.urlPath, params: paramsFor(route, victim), headers });
    expect(res.status, `GET ${route.urlPath}: ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
    const after = await databaseDigest();
    const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
    expect(changed, `GET ${route.urlPath} (${res.status}) wrote to`).toEqual([]);
  }, 60_000);
});
