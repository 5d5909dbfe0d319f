// Every route handler under app/, found on disk, against the protection its path promises
// (docs/security.md). A new route.ts is checked without anyone listing it: under /api it must need a
// session (admin routes: a platform admin), refuse a foreign Origin and a non-JSON write, and answer
// 404 for another tenant's ids; under /v1 a secret key; under /api/internal the relay secret. Only the
// few routes in PUBLIC_ROUTES are exempt, each with its reason. A route whose params have no fixture
// fails until one is added below, so nothing is skipped silently.
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/authenticate";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

const appDir = path.resolve(import.meta.dirname, "..", "..", "app");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];
const FOREIGN_ORIGIN = "https://evil.example";

/** Routes anyone may call, and why. Keep this short: everything else is protected by default. */
const PUBLIC_ROUTES: Record<string, string> = {
  "/api/health": "liveness probe for load balancers; says only ok / database_unreachable",
  "/v1/openapi.json": "the public API's own documentation",
  "/api/auth/[...nextauth]": "next-auth's sign-in, sign-out and session endpoints, guarded by next-auth's CSRF token",
};

/** Public, but only from our own pages: the cross-site and JSON rules apply, no session needed. */
const SAME_SITE_PUBLIC_ROUTES: Record<string, string> = {
  "/api/auth/sign-up": "anyone may create an account, but another site must not do it in a visitor's name",
  "/api/auth/password-reset": "a signed-out user asks for a reset link; the answer is the same whether or not the account exists",
  "/api/auth/password-reset/confirm": "the reset link's single-use token is the credential",
};

type Protection = "session" | "admin" | "api-key" | "relay-secret";

/** First match wins. A path under neither /api nor /v1 has no rule and fails the suite. */
const PROTECTION_BY_PREFIX: [string, Protection][] = [
  ["/api/internal/", "relay-secret"],
  ["/api/admin/", "admin"],
  ["/api/", "session"],
  ["/v1/", "api-key"],
];

interface Victim {
  owner: TestUser;
  admin: TestUser;
  outsider: TestUser;
  appId: string;
  keyId: string;
  planId: string;
  endpointId: string;
  invoiceId: string;
  invitationId: string;
}

/** Values for route params: the victim tenant's ids where a param names a tenant-owned thing. */
const PARAM_FIXTURES: Record<string, (victim: Victim) => string | string[]> = {
  appId: (victim) => victim.appId,
  keyId: (victim) => victim.keyId,
  planId: (victim) => victim.planId,
  tenantId: (victim) => victim.owner.tenantId,
  userId: (victim) => victim.owner.id,
  endpointId: (victim) => victim.endpointId,
  invoiceId: (victim) => victim.invoiceId,
  invitationId: (victim) => victim.invitationId,
  channel: () => "chat/room-1",
  peerId: () => "peer-1",
  nextauth: () => ["session"],
};

interface DiscoveredRoute {
  urlPath: string;
  file: string;
  params: string[];
}

function discoverRoutes(dir: string, segments: string[] = []): DiscoveredRoute[] {
  const found: DiscoveredRoute[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      // Route groups "(name)" do not appear in the URL.
      found.push(...discoverRoutes(full, /^\(.*\)$/.test(entry) ? segments : [...segments, entry]));
    } else if (entry === "route.ts") {
      const params = segments.flatMap((segment) => /^\[(?:\.\.\.)?(.+)\]$/.exec(segment)?.[1] ?? []);
      found.push({ urlPath: `/${segments.join("/")}`, file: full, params });
    }
  }
  return found;
}

function protectionOf(urlPath: string): Protection | undefined {
  return PROTECTION_BY_PREFIX.find(([prefix]) => urlPath.startsWith(prefix))?.[1];
}

type Handler = (req: NextRequest, context: { params: Promise<never> }) => Promise<Response> | Response;

const routes = discoverRoutes(appDir);
let harness: RouteHarness;
let victim: Victim;

beforeAll(async () => {
  harness = await startRouteHarness();
  const [owner, admin, outsider] = await Promise.all([createUser(harness.db), createUser(harness.db, { admin: true }), createUser(harness.db)]);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId });
  const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "victim key", encryptionKey: TEST_ENCRYPTION_KEY });
  const plan = await harness.db.plan.findFirstOrThrow({ select: { id: true } });
  const endpoint = await harness.db.webhookEndpoint.create({
    data: { id: `whe_${randomUUID()}`, appId: app.id, url: "http://127.0.0.1:9/hook", secretCiphertext: "unused", secretPrefix: "whsec_x" },
  });
  const now = new Date();
  const invoice = await harness.db.invoice.create({
    data: { id: `inv_${randomUUID()}`, appId: app.id, periodStart: now, periodEnd: new Date(now.getTime() + 30 * 86_400_000) },
  });
  const invitation = await harness.db.invitation.create({
    data: { tenantId: owner.tenantId, email: "invited@example.com", tokenHash: randomUUID(), expiresAt: new Date(now.getTime() + 86_400_000) },
  });
  victim = { owner, admin, outsider, appId: app.id, keyId: key.id, planId: plan.id, endpointId: endpoint.id, invoiceId: invoice.id, invitationId: invitation.id };
});
afterAll(async () => harness?.stop());

async function handlersOf(route: DiscoveredRoute): Promise<[Method, Handler][]> {
  const module = (await import(route.file)) as Record<string, unknown>;
  return METHODS.flatMap((method) => (typeof module[method] === "function" ? [[method, module[method] as Handler] as [Method, Handler]] : []));
}

function paramsFor(route: DiscoveredRoute): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of route.params) {
    const fixture = PARAM_FIXTURES[name];
    if (!fixture) throw new Error(`${route.urlPath}: no fixture for param [${name}]: add one to PARAM_FIXTURES`);
    params[name] = fixture(victim) as string;
  }
  return params;
}

function call(handler: Handler, route: DiscoveredRoute, method: Method, as: SessionUser | null, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  session.user = as;
  const writes = method !== "GET";
  return invoke(handler, { method, path: route.urlPath, params: paramsFor(route), body: options.body ?? (writes ? {} : undefined), headers: options.headers });
}

describe("route discovery", () => {
  it("finds the route files, and every allow-listed route still exists", () => {
    const paths = routes.map((route) => route.urlPath);
    expect(paths.length).toBeGreaterThan(20);
    for (const listed of [...Object.keys(PUBLIC_ROUTES), ...Object.keys(SAME_SITE_PUBLIC_ROUTES)]) expect(paths, listed).toContain(listed);
  });

  it("every route is public by name or falls under a protection rule", () => {
    const unclassified = routes.filter((route) => !(route.urlPath in PUBLIC_ROUTES) && !(route.urlPath in SAME_SITE_PUBLIC_ROUTES) && !protectionOf(route.urlPath));
    expect(unclassified.map((route) => route.urlPath)).toEqual([]);
  });
});

describe.each(routes.filter((route) => !(route.urlPath in PUBLIC_ROUTES)).map((route) => [route.urlPath, route] as const))("%s", (_urlPath, route) => {
  const sameSitePublic = route.urlPath in SAME_SITE_PUBLIC_ROUTES;
  const protection = sameSitePublic ? undefined : protectionOf(route.urlPath);

  it("exports at least one handler and has fixtures for its params", async () => {
    expect((await handlersOf(route)).length).toBeGreaterThan(0);
    expect(() => paramsFor(route)).not.toThrow();
  });

  if (protection === "session" || protection === "admin") {
    it("answers 401 to a signed-out caller on every method", async () => {
      for (const [method, handler] of await handlersOf(route)) {
        const res = await call(handler, route, method, null);
        expect(res.status, `${method} ${route.urlPath}`).toBe(401);
        expect(res.body).toMatchObject({ error: "unauthorized" });
      }
    });

    const outsiderRule = protection === "admin" ? "a non-admin" : "another tenant's user";
    if (protection === "admin" || route.params.length > 0) {
      it(`answers 404 to ${outsiderRule} on every method`, async () => {
        for (const [method, handler] of await handlersOf(route)) {
          const res = await call(handler, route, method, victim.outsider);
          expect(res.status, `${method} ${route.urlPath}`).toBe(404);
          expect(res.body).toMatchObject({ error: "not_found" });
        }
      });
    }
  }

  if (protection === "session" || protection === "admin" || sameSitePublic) {
    it("refuses a foreign Origin or a cross-site fetch with 403 on every method, even for the rightful user", async () => {
      for (const [method, handler] of await handlersOf(route)) {
        const rightful = protection === "admin" ? victim.admin : protection === "session" ? victim.owner : null;
        const crossSite: Record<string, string>[] = [{ origin: FOREIGN_ORIGIN }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "null" }];
        for (const headers of crossSite) {
          const res = await call(handler, route, method, rightful, { headers });
          expect(res.status, `${method} ${route.urlPath} ${JSON.stringify(headers)}`).toBe(403);
          expect(res.body).toMatchObject({ error: "cross_site_request" });
          expect(res.headers.get("cache-control")).toBe("no-store");
        }
      }
    });

    it("refuses a write whose body is not application/json with 415", async () => {
      for (const [method, handler] of await handlersOf(route)) {
        if (method === "GET") continue;
        const rightful = protection === "admin" ? victim.admin : protection === "session" ? victim.owner : null;
        for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
          const res = await call(handler, route, method, rightful, { body: "{}", headers: { "content-type": contentType, origin: "http://localhost" } });
          expect(res.status, `${method} ${route.urlPath} ${contentType}`).toBe(415);
          expect(res.body).toMatchObject({ error: "unsupported_media_type" });
        }
      }
    });
  }

  if (protection === "api-key") {
    it("answers 401 without a secret key on every method, signed-in session or not", async () => {
      for (const [method, handler] of await handlersOf(route)) {
        for (const user of [null, victim.owner]) {
          const res = await call(handler, route, method, user, { headers: { origin: FOREIGN_ORIGIN } });
          expect(res.status, `${method} ${route.urlPath}`).toBe(401);
          expect(res.body).toMatchObject({ error: "unauthorized" });
          expect(res.headers.get("cache-control")).toBe("no-store");
        }
      }
    });
  }

  if (protection === "relay-secret") {
    it("answers 401 without the relay secret on every method, even to a signed-in admin", async () => {
      for (const [method, handler] of await handlersOf(route)) {
        for (const user of [null, victim.admin]) {
          const res = await call(handler, route, method, user);
          expect(res.status, `${method} ${route.urlPath}`).toBe(401);
        }
      }
    });
  }
});

describe("nothing the refused requests aimed at changed", () => {
  it("the victim's app, key and plan are as they were", async () => {
    const app = await harness.db.app.findUniqueOrThrow({ where: { id: victim.appId } });
    expect(app.status).toBe("active");
    const key = await harness.db.apiKey.findUniqueOrThrow({ where: { id: victim.keyId } });
    expect(key.revokedAt).toBeNull();
    expect(await harness.db.apiKey.count({ where: { appId: victim.appId } })).toBe(1);
    expect(await harness.db.user.count()).toBe(3);
  });
});
