// "View as customer": a platform admin reads a tenant's dashboard API as its owners do; every write is
// refused (403 read_only_view) until they stop; starting and stopping are audited; the state lives on the
// admin's row and reaches the session only for platform admins.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as correctionsRoute } from "@/app/api/admin/apps/[appId]/corrections/route";
import { POST as startRoute } from "@/app/api/admin/tenants/[tenantId]/view-as/route";
import { DELETE as stopRoute } from "@/app/api/admin/view-as/route";
import { GET as billingRoute } from "@/app/api/apps/[appId]/billing/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import { PATCH as patchAppRoute } from "@/app/api/apps/[appId]/route";
import { GET as listAppsRoute, POST as createAppRoute } from "@/app/api/apps/route";
import { PUT as billingDetailsRoute } from "@/app/api/tenants/[tenantId]/billing-details/route";
import { GET as invoicesRoute } from "@/app/api/tenants/[tenantId]/invoices/route";
import { GET as teamRoute } from "@/app/api/tenants/[tenantId]/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { refreshSessionClaims } from "@/lib/auth/session-version";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

/** The session as next-auth builds it on each request: claims re-read from the user's row. */
async function signedIn(user: TestUser): Promise<SessionUser> {
  const claims = await refreshSessionClaims(harness.db, { userId: user.id, sessionVersion: 0 });
  session.user = { id: user.id, email: user.email, name: user.name, isPlatformAdmin: claims.isPlatformAdmin, viewingTenantId: claims.viewingTenantId };
  return session.user;
}

async function customerTeam() {
  const owner = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, name: "Viewed app" });
  return { owner, appId: app.id, tenantId: owner.tenantId };
}

describe("view as customer", () => {
  it("reads the tenant's dashboard API as its owners see it, refuses every write with 403, and stops; both ends audited", async () => {
    const admin = await createUser(harness.db, { admin: true });
    const { appId, tenantId } = await customerTeam();
    const elsewhere = await customerTeam();
    await signedIn(admin);
    expect((await invoke(startRoute, { method: "POST", params: { tenantId } })).body).toEqual({ viewingAs: { tenantId, tenantName: expect.any(String) } });
    await signedIn(admin);
    expect(session.user?.viewingTenantId).toBe(tenantId);

    const apps = await invoke<{ apps: { id: string }[]; activeTenantId: string }>(listAppsRoute, {});
    expect(apps.body.activeTenantId).toBe(tenantId);
    expect(apps.body.apps.map((app) => app.id)).toEqual([appId]);
    expect((await invoke(billingRoute, { params: { appId } })).status).toBe(200);
    expect((await invoke(invoicesRoute, { params: { tenantId } })).status).toBe(200);
    expect((await invoke(teamRoute, { params: { tenantId } })).status).toBe(200);
    // Another tenant stays out of reach through the customer's routes.
    expect((await invoke(billingRoute, { params: { appId: elsewhere.appId } })).status).toBe(404);

    const writes = [
      invoke(patchAppRoute, { method: "PATCH", params: { appId }, body: { name: "Renamed by an admin" } }),
      invoke(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor: 1000, cardNumber: "4242424242424242" } }),
      invoke(createKeyRoute, { method: "POST", params: { appId }, body: { kind: "publishable", name: "sneaky" } }),
      invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: { name: "X", address: "", taxId: "", email: "" } }),
      invoke(createAppRoute, { method: "POST", body: { name: "Another" } }),
      invoke(correctionsRoute, { method: "POST", params: { appId }, body: { kind: "credit", amountMinor: 100, reason: "While viewing" }, headers: { "idempotency-key": "viewing-1" } }),
      invoke(startRoute, { method: "POST", params: { tenantId: elsewhere.tenantId } }),
    ];
    for (const refused of await Promise.all(writes)) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: "read_only_view" });
    }
    expect(await harness.db.app.findUniqueOrThrow({ where: { id: appId } })).toMatchObject({ name: "Viewed app" });
    expect(await harness.db.apiKey.count({ where: { appId } })).toBe(0);
    expect(await harness.db.ledgerEntry.count({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } } } })).toBe(0);

    expect((await invoke(stopRoute, { method: "DELETE" })).body).toEqual({ stopped: tenantId });
    await signedIn(admin);
    expect(session.user?.viewingTenantId).toBeNull();
    expect((await invoke(correctionsRoute, { method: "POST", params: { appId }, body: { kind: "credit", amountMinor: 100, reason: "After viewing" }, headers: { "idempotency-key": "viewing-2" } })).status).toBe(200);
    const audit = await harness.db.auditLog.findMany({ where: { actorId: admin.id, action: { startsWith: "admin.view_as" } }, orderBy: { at: "asc" } });
    expect(audit.map((entry) => [entry.action, entry.targetId])).toEqual([
      ["admin.view_as_started", tenantId],
      ["admin.view_as_stopped", tenantId],
    ]);
  });

  it("is for platform admins only: others get 404, and a viewing state on a non-admin's row grants nothing", async () => {
    const { owner, tenantId } = await customerTeam();
    const stranger = await createUser(harness.db);
    await signedIn(stranger);
    expect((await invoke(startRoute, { method: "POST", params: { tenantId } })).status).toBe(404);
    await harness.db.user.update({ where: { id: stranger.id }, data: { viewingTenantId: tenantId } });
    await signedIn(stranger);
    expect(session.user?.viewingTenantId).toBeNull();
    expect((await invoke(invoicesRoute, { params: { tenantId } })).status).toBe(404);
    // The customer's own writes are untouched by anyone's viewing.
    await signedIn(owner);
    expect((await invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: { name: "Owner Co", address: "", taxId: "", email: "" } })).status).toBe(200);
  });
});
