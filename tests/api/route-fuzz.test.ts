// Every route handler under app/ (found on disk, like the protection suite) fed what a stranger can send
// it: bodies of random shape built from the field names our schemas use and from awkward values
// (wrong types, huge and fractional numbers, 1e400, long and odd strings, deep nesting, non-objects,
// broken JSON) and query strings of the same. The caller is the rightful one (the owner, a platform
// admin, the app's secret key, the relay secret), so the requests get past the door and reach the
// parsing and the domain code. Whatever the input, the answer is a JSON error in 4xx (or a success),
// never a 500: an unexpected throw would be a bug a client could trigger at will.
// Seeded: a failure names its seed and case so it can be replayed (ROUTE_FUZZ_SEED=…).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/authenticate";
import { channelHistoryQuerySchema, channelPeersQuerySchema } from "@tollgate/relay/protocol";
import { seededRandom } from "@tollgate/relay/seeded-random";
import { appDir, createVictim, discoverRoutes, handlersOf, paramsFor, protectionOf, PUBLIC_ROUTES, SAME_SITE_PUBLIC_ROUTES, type DiscoveredRoute } from "@/tests/helpers/app-routes";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

const CASES_PER_HANDLER = 30;
const SEED = Number(process.env.ROUTE_FUZZ_SEED ?? 20261201);
/** next-auth's own endpoints are next-auth's code, not ours. */
const NOT_OURS = new Set(["/api/auth/[...nextauth]"]);

/**
 * Field and query names the schemas in app/ and lib/ use, and the relay protocol's schemas the routes
 * parse with (the peer listing's page), read from the sources so new fields join in.
 */
function fieldNames(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith(".ts") && !entry.endsWith(".test.ts")) {
        const source = readFileSync(full, "utf8");
        for (const match of source.matchAll(/^\s+([a-zA-Z]+)\??: (?:z\s*\.|text\(|[a-zA-Z]+Schema\b)/gm)) names.add(match[1] ?? "");
        for (const match of source.matchAll(/searchParams\.get\("([a-zA-Z]+)"\)/g)) names.add(match[1] ?? "");
      }
    }
  };
  walk(appDir);
  walk(path.resolve(appDir, "..", "lib"));
  walk(path.resolve(appDir, "..", "relay", "src", "protocol"));
  names.delete("");
  return [...names].sort();
}

const AWKWARD_STRINGS = [
  "",
  " ",
  "x",
  "0",
  "-1",
  "1e400",
  "true",
  "null",
  "undefined",
  "NaN",
  "2026-13-45T99:99:99Z",
  "1970-01-01T00:00:00Z",
  "a".repeat(10_000),
  "é✓😀",
  "\u202egnp.exe",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "http://127.0.0.1:9/hook",
  "javascript:alert(1)",
  "user@example.com",
  "%00",
  "%ZZ",
  "sk_id_unknown",
  "app_unknown",
  "**",
  "chat/*",
  "$private/x",
];
const AWKWARD_NUMBERS = [0, -0, 1, -1, 2.5, -0.0001, 59, 61, 1e9, 1e21, -1e21, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63)];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class InputMaker {
  constructor(
    private readonly next: () => number,
    private readonly fields: string[],
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  value(depth = 0): Json {
    const roll = this.next();
    if (roll < 0.3) return this.pick(AWKWARD_STRINGS);
    if (roll < 0.55) return this.pick(AWKWARD_NUMBERS);
    if (roll < 0.65) return this.pick([null, true, false]);
    if (depth >= 3) return this.pick(AWKWARD_STRINGS);
    if (roll < 0.8) return Array.from({ length: Math.floor(this.next() * 4) }, () => this.value(depth + 1));
    return this.object(depth + 1);
  }

  object(depth = 0): { [key: string]: Json } {
    const result: { [key: string]: Json } = {};
    const count = Math.floor(this.next() * 6);
    for (let i = 0; i < count; i++) result[this.next() < 0.9 ? this.pick(this.fields) : this.pick(AWKWARD_STRINGS)] = this.value(depth);
    return result;
  }

  /** A request body: mostly a JSON object, sometimes another JSON value or not JSON at all. */
  body(): Json | string {
    const roll = this.next();
    if (roll < 0.75) return this.object();
    if (roll < 0.85) return this.value();
    return this.pick([
      "",
      "{",
      '{"a":1,}',
      "not json",
      `{"${this.pick(this.fields)}": 1e400}`,
      `{"${this.pick(this.fields)}": -1e400}`,
      `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
      `{"__proto__": {"isPlatformAdmin": true}, "${this.pick(this.fields)}": "x"}`,
      '{"constructor": {"prototype": {"x": 1}}}',
      "\u0000",
    ]);
  }

  query(): string {
    const params = new URLSearchParams();
    const count = Math.floor(this.next() * 4);
    for (let i = 0; i < count; i++) {
      const value = this.value(3);
      params.append(this.pick(this.fields), typeof value === "string" ? value : JSON.stringify(value));
    }
    const text = params.toString();
    return this.next() < 0.1 ? `${text}&${this.pick(["%ZZ=1", "limit=1&limit=2", "cursor=%00", "=", "&&&"])}` : text;
  }
}

const routes = discoverRoutes().filter((route) => !NOT_OURS.has(route.urlPath));
const fields = fieldNames();
let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

describe("input a stranger controls", () => {
  it("the field names come from the schemas (so the bodies reach past 'unknown field')", () => {
    expect(fields.length).toBeGreaterThan(40);
    for (const name of ["name", "planSlug", "overagesEnabled", "amountMinor", "range"]) expect(fields).toContain(name);
    // Query parameters parsed by schemas the routes share with the relay (the peer listing's page).
    for (const name of Object.keys(channelPeersQuerySchema.shape)) expect(fields).toContain(name);
    for (const name of Object.keys(channelHistoryQuerySchema.shape)) expect(fields).toContain(name);
  });

  it.each(routes.map((route) => [route.urlPath, route] as [string, DiscoveredRoute]))("%s never answers 500", async (_urlPath, route) => {
    // A tenant of its own per route, so one route's successful writes (a deleted app, a revoked key)
    // do not blunt the next route's cases.
    const victim = await createVictim(harness.db);
    const protection = route.urlPath in PUBLIC_ROUTES || route.urlPath in SAME_SITE_PUBLIC_ROUTES ? undefined : protectionOf(route.urlPath);
    const headers: Record<string, string> = { origin: "http://localhost" };
    if (protection === "api-key") headers.authorization = victim.apiKeyAuthorization;
    if (protection === "relay-secret") headers.authorization = `Bearer ${harness.relaySecret}`;
    const user = protection === "admin" ? victim.admin : protection === "session" ? victim.owner : null;
    const params = paramsFor(route, victim);
    const next = seededRandom(SEED ^ [...route.urlPath].reduce((hash, char) => Math.imul(hash ^ char.charCodeAt(0), 16777619), 2166136261));
    const maker = new InputMaker(next, fields);
    for (const [method, handler] of await handlersOf(route)) {
      for (let i = 0; i < CASES_PER_HANDLER; i++) {
        const query = maker.query();
        const body = method === "GET" ? undefined : maker.body();
        session.user = user;
        // Each case comes from its own address: the per-address limits are not what is under test here.
        const caseHeaders = { ...headers, "x-tollgate-peer-address": `198.51.100.${(i % 250) + 1}` };
        const what = `${method} ${route.urlPath}?${query} case ${i} (seed ${SEED}) body ${JSON.stringify(body)?.slice(0, 300)}`;
        const res = await invoke(handler, { method, path: `${route.urlPath}${query ? `?${query}` : ""}`, params, body, headers: caseHeaders }).catch((error: unknown) => {
          throw new Error(`${what}: threw ${error instanceof Error ? error.stack : String(error)}`);
        });
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status >= 400 && res.headers.get("content-type")?.includes("json")) {
          expect(typeof (res.body as { error?: unknown }).error, `${what}: ${JSON.stringify(res.body)}`).toBe("string");
        }
      }
    }
  }, 120_000);
});
