// Every route handler under app/, found on disk, against the protection its path promises
// (docs/security.md). A new route.ts is checked without anyone listing it: under /api it must need a
// session (admin routes: a platform admin), refuse a foreign Origin and a non-JSON write, and answer
// 404 for another tenant's ids; under /v1 a secret key; under /api/internal the relay secret. Only the
// few routes in PUBLIC_ROUTES are exempt, each with its reason. A route whose params have no fixture
// fails until one is added (tests/helpers/app-routes.ts), so nothing is skipped silently.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/authenticate";
import {
  createVictim,
  discoverRoutes,
  handlersOf,
  paramsFor,
  protectionOf,
  PUBLIC_ROUTES,
  SAME_SITE_PUBLIC_ROUTES,
  type DiscoveredRoute,
  type Handler,
  type Method,
  type Victim,
} from "@/tests/helpers/app-routes";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

const FOREIGN_ORIGIN = "https://evil.example";

const routes = discoverRoutes();
let harness: RouteHarness;
let victim: Victim;

beforeAll(async () => {
  harness = await startRouteHarness();
  victim = await createVictim(harness.db);
});
afterAll(async () => harness?.stop());

function call(handler: Handler, route: DiscoveredRoute, method: Method, as: SessionUser | null, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  session.user = as;
  const writes = method !== "GET";
  return invoke(handler, { method, path: route.urlPath, params: paramsFor(route, victim), body: options.body ?? (writes ? {} : undefined), headers: options.headers });
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
    expect(() => paramsFor(route, victim)).not.toThrow();
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
