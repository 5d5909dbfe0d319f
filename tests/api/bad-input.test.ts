// A NUL or a lone surrogate in any name, pattern, note or query of the dashboard API — and in a path
// param — is refused with 422 naming the field (PostgreSQL would otherwise fail the query: a 500).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as adminAppsRoute } from "@/app/api/admin/apps/route";
import { PUT as overrideRoute } from "@/app/api/admin/apps/[appId]/override/route";
import { POST as suspendRoute } from "@/app/api/admin/apps/[appId]/suspend/route";
import { GET as auditRoute } from "@/app/api/admin/audit/route";
import { PATCH as patchPlanRoute } from "@/app/api/admin/plans/[planId]/route";
import { POST as createPlanRoute } from "@/app/api/admin/plans/route";
import { GET as tenantsRoute } from "@/app/api/admin/tenants/route";
import { GET as getAppRoute, PATCH as patchAppRoute } from "@/app/api/apps/[appId]/route";
import { DELETE as revokeKeyRoute } from "@/app/api/apps/[appId]/keys/[keyId]/route";
import { POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import { POST as createAppRoute } from "@/app/api/apps/route";
import { POST as signUpRoute } from "@/app/api/auth/sign-up/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

const NUL = "a\u0000b";
const LONE_HIGH = "a\ud800b";
const LONE_LOW = "\udc00";

describe("bad text in bodies and queries", () => {
  it("every name, pattern, note and query with NUL or a lone surrogate is 422 naming the field", async () => {
    const admin = await createUser(harness.db, { admin: true });
    session.user = admin;
    const app = await createTestApp(harness.db, { tenantId: admin.tenantId });
    const plan = await harness.db.plan.findFirstOrThrow({ select: { id: true } });
    const params = { appId: app.id };
    for (const bad of [NUL, LONE_HIGH, LONE_LOW]) {
      const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>][] = [
        ["name", invoke(createAppRoute, { method: "POST", body: { name: bad } })],
        ["name", invoke(patchAppRoute, { method: "PATCH", params, body: { name: bad } })],
        ["planSlug", invoke(patchAppRoute, { method: "PATCH", params, body: { planSlug: bad } })],
        ["name", invoke(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: bad } })],
        ["channelPatterns.0", invoke(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: "k", channelPatterns: [`chat/${bad}`] } })],
        ["allowedOrigins.0", invoke(createKeyRoute, { method: "POST", params, body: { kind: "publishable", name: "k", allowedOrigins: [`https://x${bad}.example`] } })],
        ["note", invoke(overrideRoute, { method: "PUT", params, body: { note: bad } })],
        ["reason", invoke(suspendRoute, { method: "POST", params, body: { reason: bad } })],
        ["name", invoke(patchPlanRoute, { method: "PATCH", params: { planId: plan.id }, body: { name: bad } })],
        ["slug", invoke(createPlanRoute, { method: "POST", body: { slug: bad, name: "x", kind: "free" } })],
        ["name", invoke(signUpRoute, { method: "POST", body: { email: "new@test.local", password: "a-good-password", name: bad } })],
      ];
      // A lone surrogate cannot be percent-encoded (a browser sends U+FFFD instead): queries get NUL.
      if (bad === NUL) {
        cases.push(
          ["q", invoke(adminAppsRoute, { path: `/api/admin/apps?q=${encodeURIComponent(bad)}` })],
          ["q", invoke(tenantsRoute, { path: `/api/admin/tenants?q=${encodeURIComponent(bad)}` })],
          ["targetId", invoke(auditRoute, { path: `/api/admin/audit?targetId=${encodeURIComponent(bad)}` })],
        );
      }
      for (const [field, pending] of cases) {
        const res = await pending;
        expect(res.status, `${field} ${JSON.stringify(bad)}`).toBe(422);
        expect(res.body).toMatchObject({ error: "invalid_request", field });
      }
    }
    const after = await harness.db.app.findUniqueOrThrow({ where: { id: app.id } });
    expect(after.status).toBe("active");
    expect(await harness.db.apiKey.count({ where: { appId: app.id } })).toBe(0);
  });

  it("a path param with NUL or a lone surrogate is 422 naming the param, never 500", async () => {
    const user = await createUser(harness.db);
    session.user = user;
    const app = await createTestApp(harness.db, { tenantId: user.tenantId });
    for (const bad of [NUL, LONE_HIGH, LONE_LOW]) {
      const res = await invoke(getAppRoute, { params: { appId: bad } });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ error: "invalid_request", field: "appId" });
      const key = await invoke(revokeKeyRoute, { method: "DELETE", params: { appId: app.id, keyId: bad } });
      expect(key.status).toBe(422);
      expect(key.body).toMatchObject({ field: "keyId" });
    }
  });
});
