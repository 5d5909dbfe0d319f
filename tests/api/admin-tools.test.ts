// Admin tools and account recovery through the real handlers: soft-deleted apps (gone for customers,
// /v1 and relays; findable by admins with who and when), search by member email, the tenant page with
// suspend/resume of every app, audit filters, per-app key events, CSV export, and password reset by
// real SMTP mail.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as adminAppsRoute } from "@/app/api/admin/apps/route";
import { GET as exportRoute } from "@/app/api/admin/audit/export/route";
import { GET as auditRoute } from "@/app/api/admin/audit/route";
import { POST as resumeTenantRoute } from "@/app/api/admin/tenants/[tenantId]/resume/route";
import { GET as adminTenantRoute } from "@/app/api/admin/tenants/[tenantId]/route";
import { POST as suspendTenantRoute } from "@/app/api/admin/tenants/[tenantId]/suspend/route";
import { GET as tenantsRoute } from "@/app/api/admin/tenants/route";
import { DELETE as deleteAppRoute, GET as getAppRoute, PATCH as patchAppRoute } from "@/app/api/apps/[appId]/route";
import { POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import { GET as listAppsRoute } from "@/app/api/apps/route";
import { POST as resetConfirmRoute } from "@/app/api/auth/password-reset/confirm/route";
import { POST as resetRequestRoute } from "@/app/api/auth/password-reset/route";
import { POST as signUpRoute } from "@/app/api/auth/sign-up/route";
import { POST as appStatesRoute } from "@/app/api/internal/relay/app-states/route";
import { GET as v1UsageRoute } from "@/app/v1/usage/route";
import type { AdminApp, AuditEntry } from "@/components/api-types";
import type { AppView } from "@/lib/apps/app.types";
import type { SessionUser } from "@/lib/auth/authenticate";
import { authenticate } from "@/lib/auth/authenticate";
import { MAX_RESET_MAILS_PER_HOUR } from "@/lib/account/password-reset";
import { hashPassword } from "@/lib/auth/password";
import { PUBLIC_ROUTE_BURST } from "@/lib/http/with-session";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";
import { firstLink, startSmtpSink, type SmtpSink } from "@/tests/helpers/smtp-sink";
import type { AppStatesResponse } from "@tollgate/relay/protocol";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  process.env.SMTP_URL = smtp.url;
  process.env.NEXTAUTH_URL = "http://dashboard.test";
  harness = await startRouteHarness();
});
afterAll(async () => {
  await harness?.stop();
  await smtp?.stop();
});

/** The apps relays are answered for, among these. */
async function relayAppIds(appIds: string[]): Promise<string[]> {
  const res = await invoke<AppStatesResponse>(appStatesRoute, { method: "POST", headers: { authorization: `Bearer ${harness.relaySecret}` }, body: { appIds } });
  return res.body.apps.map((a) => a.appId);
}

describe("soft-deleted apps", () => {
  it("leave the customer's list, the app routes, /v1 and the relay snapshot, and admins find them with who deleted them", async () => {
    const owner = await createUser(harness.db);
    const app = await createTestApp(harness.db, { tenantId: owner.tenantId, name: "Doomed" });
    session.user = owner;
    const key = await invoke<{ key: { id: string }; secret: string }>(createKeyRoute, { method: "POST", params: { appId: app.id }, body: { kind: "secret", name: "backend" } });
    const auth = { authorization: `Bearer ${key.body.key.id}:${key.body.secret}` };
    expect((await invoke(v1UsageRoute, { headers: auth })).status).toBe(200);
    expect(await relayAppIds([app.id])).toContain(app.id);

    expect((await invoke(deleteAppRoute, { method: "DELETE", params: { appId: app.id } })).status).toBe(200);
    expect((await invoke<{ apps: AppView[] }>(listAppsRoute)).body.apps).toEqual([]);
    expect((await invoke(getAppRoute, { params: { appId: app.id } })).status).toBe(404);
    expect((await invoke(patchAppRoute, { method: "PATCH", params: { appId: app.id }, body: { name: "back" } })).status).toBe(404);
    expect((await invoke(deleteAppRoute, { method: "DELETE", params: { appId: app.id } })).status).toBe(404);
    expect((await invoke(v1UsageRoute, { headers: auth })).status).toBe(401);
    expect(await relayAppIds([app.id])).not.toContain(app.id);

    session.user = await createUser(harness.db, { admin: true });
    const found = await invoke<{ apps: AdminApp[] }>(adminAppsRoute, { path: `/?q=${encodeURIComponent(owner.email)}` });
    expect(found.body.apps).toEqual([expect.objectContaining({ id: app.id, deletedByEmail: owner.email, deletedAt: expect.any(String) })]);
  });
});

describe("admin search and tenant page", () => {
  it("finds tenants and apps by a member's email (not only the owner's)", async () => {
    const owner = await createUser(harness.db);
    const member = await createUser(harness.db);
    await harness.db.membership.create({ data: { userId: member.id, tenantId: owner.tenantId, role: "member" } });
    const app = await createTestApp(harness.db, { tenantId: owner.tenantId });
    session.user = await createUser(harness.db, { admin: true });
    const path = `/?q=${encodeURIComponent(member.email.slice(0, 20).toUpperCase())}`;
    expect((await invoke<{ apps: AdminApp[] }>(adminAppsRoute, { path })).body.apps.map((a) => a.id)).toEqual([app.id]);
    // The member's own tenant matches too; the point is that the owner's tenant is found by the member's email.
    expect((await invoke<{ tenants: { id: string }[] }>(tenantsRoute, { path })).body.tenants.map((t) => t.id).sort()).toEqual([owner.tenantId, member.tenantId].sort());
  });

  it("shows members, apps and balance, and suspends then resumes every app of the tenant with the reason", async () => {
    const owner = await createUser(harness.db);
    const apps = await Promise.all([createTestApp(harness.db, { tenantId: owner.tenantId }), createTestApp(harness.db, { tenantId: owner.tenantId })]);
    await harness.db.billingAccount.updateMany({ where: { tenant: { apps: { some: { id: apps[0].id } } } }, data: { balanceMinor: 1_250 } });
    const admin = await createUser(harness.db, { admin: true });
    session.user = admin;
    const params = { tenantId: owner.tenantId };
    const page = await invoke<{ tenant: { members: { email: string; role: string }[]; apps: AdminApp[]; balanceMinor: number } }>(adminTenantRoute, { params });
    expect(page.body.tenant).toMatchObject({ members: [{ email: owner.email, role: "owner" }], balanceMinor: 1_250 });
    expect(page.body.tenant.apps).toHaveLength(2);

    const suspended = await invoke<{ changed: number }>(suspendTenantRoute, { method: "POST", params, body: { reason: "Unpaid invoices: write to billing@tollgate.test" } });
    expect(suspended.body).toEqual({ changed: 2 });
    const rows = await harness.db.app.findMany({ where: { tenantId: owner.tenantId } });
    expect(rows.map((r) => [r.status, r.suspendedReason])).toEqual([
      ["suspended", "Unpaid invoices: write to billing@tollgate.test"],
      ["suspended", "Unpaid invoices: write to billing@tollgate.test"],
    ]);
    // The customer sees the reason on their app.
    session.user = owner;
    expect((await invoke<{ app: AppView }>(getAppRoute, { params: { appId: apps[0].id } })).body.app).toMatchObject({ status: "suspended", suspendedReason: expect.stringContaining("Unpaid") });
    session.user = admin;
    expect((await invoke(suspendTenantRoute, { method: "POST", params, body: {} })).body).toEqual({ changed: 0 });
    expect((await invoke(resumeTenantRoute, { method: "POST", params })).body).toEqual({ changed: 2 });
    expect(await harness.db.app.count({ where: { tenantId: owner.tenantId, status: "active", suspendedReason: null } })).toBe(2);
    session.user = owner;
    expect((await invoke(adminTenantRoute, { params })).status).toBe(404);
    expect((await invoke(suspendTenantRoute, { method: "POST", params })).status).toBe(404);
  });
});

describe("audit log", () => {
  it("filters by actor, action family, app (with its key events) and date; exports readable CSV", async () => {
    const owner = await createUser(harness.db);
    const app = await createTestApp(harness.db, { tenantId: owner.tenantId, name: "Audited" });
    session.user = owner;
    await invoke(patchAppRoute, { method: "PATCH", params: { appId: app.id }, body: { name: "Audited, renamed" } });
    const key = await invoke<{ key: { id: string } }>(createKeyRoute, { method: "POST", params: { appId: app.id }, body: { kind: "publishable", name: "web" } });
    session.user = await createUser(harness.db, { admin: true });

    const forApp = await invoke<{ entries: AuditEntry[] }>(auditRoute, { path: `/?appId=${app.id}` });
    expect(forApp.body.entries.map((e) => e.action)).toEqual(["api_key.create", "app.update", "app.create"]);
    expect(forApp.body.entries.find((e) => e.targetId === key.body.key.id)).toBeDefined();
    const rename = forApp.body.entries.find((e) => e.action === "app.update");
    expect(rename?.changes).toEqual([{ field: "name", before: "Audited", after: "Audited, renamed" }]);
    // Targets and the ids an entry names read as names.
    expect(rename?.targetName).toBe("app Audited, renamed");
    const created = forApp.body.entries.find((e) => e.action === "app.create");
    expect(created?.changes.find((change) => change.field === "tenant")?.after).toMatch(/^team /);

    const byActor = await invoke<{ entries: AuditEntry[] }>(auditRoute, { path: `/?actor=${encodeURIComponent(owner.email.toUpperCase())}&action=app.` });
    expect(byActor.body.entries.map((e) => e.action)).toEqual(["app.update"]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await invoke<{ entries: AuditEntry[] }>(auditRoute, { path: `/?appId=${app.id}&from=${tomorrow}` })).body.entries).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await invoke<{ entries: AuditEntry[] }>(auditRoute, { path: `/?appId=${app.id}&to=${today}` })).body.entries).toHaveLength(3);
    expect((await invoke(auditRoute, { path: "/?from=yesterday-ish" })).status).toBe(422);

    const csv = await exportRoute(new (await import("next/server")).NextRequest(`http://localhost/?appId=${app.id}`), { params: Promise.resolve({}) });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("at,actor,action,target type,target id,target,changes");
    expect(lines).toHaveLength(4);
    expect(lines.find((line) => line.includes("app.update"))).toContain('"name: Audited → Audited, renamed"');
  });
});

describe("password reset by email", () => {
  it("mails a single-use link (stored hashed) that sets the new password and ends old sessions; unknown emails answer the same", async () => {
    const user = await createUser(harness.db);
    await harness.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword("forgotten-password") } });
    session.user = null;
    const unknown = await invoke(resetRequestRoute, { method: "POST", body: { email: "nobody-here@test.local" } });
    const known = await invoke(resetRequestRoute, { method: "POST", body: { email: user.email } });
    expect([unknown.status, known.status]).toEqual([202, 202]);
    expect(unknown.body).toEqual(known.body);
    const link = firstLink(await smtp.waitFor(user.email));
    const token = link.split("/reset-password/")[1] ?? "";
    expect(token.startsWith("pwr_")).toBe(true);
    const stored = await harness.db.passwordResetToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.tokenHash).not.toBe(token);
    const before = (await harness.db.user.findUniqueOrThrow({ where: { id: user.id } })).sessionVersion;

    expect((await invoke(resetConfirmRoute, { method: "POST", body: { token, password: "short" } })).status).toBe(422);
    expect((await invoke(resetConfirmRoute, { method: "POST", body: { token, password: "brand-new-password" } })).body).toEqual({ email: user.email });
    expect(await authenticate(harness.db, { email: user.email, password: "brand-new-password", ip: "203.0.113.9" })).not.toBeNull();
    expect((await harness.db.user.findUniqueOrThrow({ where: { id: user.id } })).sessionVersion).toBe(before + 1);
    const reused = await invoke(resetConfirmRoute, { method: "POST", body: { token, password: "another-password" } });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ field: "token", message: expect.stringContaining("not valid any more") });

    // An expired link does nothing.
    await invoke(resetRequestRoute, { method: "POST", body: { email: user.email } });
    await harness.db.passwordResetToken.updateMany({ where: { userId: user.id, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const second = smtp.messages.filter((m) => m.to.includes(user.email)).at(-1);
    const expiredToken = second ? (firstLink(second).split("/reset-password/")[1] ?? "") : "";
    expect(expiredToken).not.toBe(token);
    expect((await invoke(resetConfirmRoute, { method: "POST", body: { token: expiredToken, password: "another-password" } })).status).toBe(422);
  });

  it("mails an account at most MAX_RESET_MAILS_PER_HOUR links an hour, answering every request the same (no probe, no mail bomb)", async () => {
    const user = await createUser(harness.db);
    session.user = null;
    const answers = [];
    for (let i = 0; i < MAX_RESET_MAILS_PER_HOUR + 3; i++) {
      const peer = { "x-tollgate-peer-address": `198.51.100.${i + 1}` };
      answers.push(await invoke(resetRequestRoute, { method: "POST", body: { email: user.email }, headers: peer }));
    }
    expect(new Set(answers.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`))).toEqual(new Set(['202 {"sent":true}']));
    expect(await harness.db.passwordResetToken.count({ where: { userId: user.id } })).toBe(MAX_RESET_MAILS_PER_HOUR);
    await smtp.waitFor(user.email);
    expect(smtp.messages.filter((message) => message.to.includes(user.email))).toHaveLength(MAX_RESET_MAILS_PER_HOUR);
  });
});

describe("public routes (sign-up, password reset)", () => {
  it("limit each address: a burst, then 429 with Retry-After; another address is unaffected", async () => {
    session.user = null;
    const flooder = { "x-tollgate-peer-address": "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i < PUBLIC_ROUTE_BURST + 1; i++) statuses.push((await invoke(signUpRoute, { method: "POST", body: { email: "x" }, headers: flooder })).status);
    expect(statuses.slice(0, PUBLIC_ROUTE_BURST)).toEqual(Array(PUBLIC_ROUTE_BURST).fill(422));
    const limited = await invoke(signUpRoute, { method: "POST", body: { email: "x" }, headers: flooder });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await invoke(signUpRoute, { method: "POST", body: { email: "x" }, headers: { "x-tollgate-peer-address": "203.0.113.78" } })).status).toBe(422);
  });

  it("count an IPv6 client's whole /64 as one address (it can pick any of 2^64 source addresses)", async () => {
    session.user = null;
    const statuses: number[] = [];
    for (let i = 0; i < PUBLIC_ROUTE_BURST + 1; i++) {
      const peer = { "x-tollgate-peer-address": `2001:db8:42:7:${(i + 1).toString(16)}::1` };
      statuses.push((await invoke(signUpRoute, { method: "POST", body: { email: "x" }, headers: peer })).status);
    }
    expect(statuses.slice(0, PUBLIC_ROUTE_BURST)).toEqual(Array(PUBLIC_ROUTE_BURST).fill(422));
    expect(statuses[PUBLIC_ROUTE_BURST]).toBe(429);
    expect((await invoke(signUpRoute, { method: "POST", body: { email: "x" }, headers: { "x-tollgate-peer-address": "2001:db8:42:8::1" } })).status).toBe(422);
  });
});
