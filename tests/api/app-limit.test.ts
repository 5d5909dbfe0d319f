// The per-tenant app limit (lib/apps/app-limit.ts): a default, a platform admin's override per tenant
// (audited), and a refusal that holds when creations race.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as adminTenantRoute, PATCH as patchAdminTenantRoute } from "@/app/api/admin/tenants/[tenantId]/route";
import { DELETE as deleteAppRoute } from "@/app/api/apps/[appId]/route";
import { POST as createAppRoute } from "@/app/api/apps/route";
import { DEFAULT_MAX_APPS_PER_TENANT } from "@/lib/apps/app-limit";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { TenantAppLimitView } from "@/lib/tenants/tenant.types";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

function createAppAs(owner: TestUser, name = "One more") {
  session.user = owner;
  return invoke<{ app: { id: string }; error?: string; message?: string }>(createAppRoute, { method: "POST", body: { name, tenantId: owner.tenantId } });
}

async function ownerWithApps(count: number): Promise<TestUser> {
  const owner = await createUser(harness.db);
  for (let i = 0; i < count; i++) await createTestApp(harness.db, { tenantId: owner.tenantId });
  return owner;
}

async function setLimitAsAdmin(tenantId: string, maxApps: unknown) {
  session.user = await createUser(harness.db, { admin: true });
  return invoke<TenantAppLimitView>(patchAdminTenantRoute, { method: "PATCH", params: { tenantId }, body: { maxApps } });
}

describe("per-tenant app limit", () => {
  it("by default a team has at most DEFAULT_MAX_APPS_PER_TENANT live apps: the next is 409 limit_exceeded, deleting one makes room", async () => {
    const owner = await ownerWithApps(DEFAULT_MAX_APPS_PER_TENANT - 1);
    const last = await createAppAs(owner);
    expect(last.status).toBe(201);
    const refused = await createAppAs(owner);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "limit_exceeded", message: expect.stringContaining(`at most ${DEFAULT_MAX_APPS_PER_TENANT} apps`) });
    expect(await harness.db.app.count({ where: { tenantId: owner.tenantId } })).toBe(DEFAULT_MAX_APPS_PER_TENANT);
    // Another team is not affected.
    expect((await createAppAs(await createUser(harness.db))).status).toBe(201);

    session.user = owner;
    expect((await invoke(deleteAppRoute, { method: "DELETE", params: { appId: last.body.app.id } })).status).toBe(200);
    expect((await createAppAs(owner)).status).toBe(201);
  });

  it("a platform admin's override raises or lowers one team's limit, shows on the admin tenant page, and null returns to the default", async () => {
    const owner = await ownerWithApps(2);
    const lowered = await setLimitAsAdmin(owner.tenantId, 2);
    expect(lowered.status).toBe(200);
    expect(lowered.body).toEqual({ maxApps: 2, appLimit: 2, defaultAppLimit: DEFAULT_MAX_APPS_PER_TENANT });
    const detail = await invoke<{ tenant: TenantAppLimitView }>(adminTenantRoute, { params: { tenantId: owner.tenantId } });
    expect(detail.body.tenant).toMatchObject({ maxApps: 2, appLimit: 2 });
    const refused = await createAppAs(owner);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("at most 2 apps");

    await setLimitAsAdmin(owner.tenantId, DEFAULT_MAX_APPS_PER_TENANT + 5);
    for (let i = 2; i < DEFAULT_MAX_APPS_PER_TENANT + 5; i++) await createTestApp(harness.db, { tenantId: owner.tenantId });
    expect((await createAppAs(owner)).status).toBe(409);

    const reset = await setLimitAsAdmin(owner.tenantId, null);
    expect(reset.body).toEqual({ maxApps: null, appLimit: DEFAULT_MAX_APPS_PER_TENANT, defaultAppLimit: DEFAULT_MAX_APPS_PER_TENANT });
    // Apps beyond a lowered limit stay; only new ones are refused.
    expect(await harness.db.app.count({ where: { tenantId: owner.tenantId, deletedAt: null } })).toBe(DEFAULT_MAX_APPS_PER_TENANT + 5);
    expect((await createAppAs(owner)).status).toBe(409);
  });

  it("each override is in the audit log with its before and after", async () => {
    const owner = await createUser(harness.db);
    await setLimitAsAdmin(owner.tenantId, 40);
    const admin = session.user;
    await setLimitAsAdmin(owner.tenantId, null);
    const entries = await harness.db.auditLog.findMany({ where: { action: "tenant.set_app_limit", targetId: owner.tenantId }, orderBy: [{ at: "asc" }, { id: "asc" }] });
    expect(entries.map((entry) => ({ targetType: entry.targetType, before: entry.before, after: entry.after }))).toEqual([
      { targetType: "tenant", before: { maxApps: null }, after: { maxApps: 40 } },
      { targetType: "tenant", before: { maxApps: 40 }, after: { maxApps: null } },
    ]);
    expect(entries[0]?.actorId).toBe(admin?.id);
  });

  it("concurrent creations cannot pass the limit together: one room left, ten at once, exactly one created", async () => {
    const owner = await ownerWithApps(2);
    await setLimitAsAdmin(owner.tenantId, 3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => createAppAs(owner, `racer ${i}`)));
    expect(results.map((res) => res.status).sort()).toEqual([201, ...Array.from({ length: 9 }, () => 409)]);
    expect(await harness.db.app.count({ where: { tenantId: owner.tenantId } })).toBe(3);
  });

  it("bad overrides are 422 naming maxApps; an unknown tenant is 404", async () => {
    const owner = await createUser(harness.db);
    for (const maxApps of [-1, 1.5, "10", 10_001]) {
      const res = await setLimitAsAdmin(owner.tenantId, maxApps);
      expect(res.status, JSON.stringify(maxApps)).toBe(422);
      expect(res.body).toMatchObject({ field: "maxApps" });
    }
    expect((await setLimitAsAdmin("no-such-tenant", 5)).status).toBe(404);
  });
});
