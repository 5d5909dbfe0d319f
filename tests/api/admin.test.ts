// Admin routes: invisible (404) to non-admins; plans, overrides, suspend/resume, search and audit for admins.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as adminAppsRoute } from "@/app/api/admin/apps/route";
import { DELETE as clearOverrideRoute, PUT as overrideRoute } from "@/app/api/admin/apps/[appId]/override/route";
import { POST as resumeRoute } from "@/app/api/admin/apps/[appId]/resume/route";
import { POST as suspendRoute } from "@/app/api/admin/apps/[appId]/suspend/route";
import { GET as auditRoute } from "@/app/api/admin/audit/route";
import { PATCH as patchPlanRoute } from "@/app/api/admin/plans/[planId]/route";
import { GET as adminPlansRoute, POST as createPlanRoute } from "@/app/api/admin/plans/route";
import { GET as tenantsRoute } from "@/app/api/admin/tenants/route";
import { POST as appStatesRoute } from "@/app/api/internal/relay/app-states/route";
import { GET as notificationsRoute } from "@/app/api/notifications/route";
import { getSuspensionNotice } from "@/lib/apps/suspension-notice";
import { getServerEnv } from "@/lib/env";
import type { NotificationView } from "@/lib/notifications/app-event.types";
import { deliverNotification, deliveryConfigFromEnv } from "@/lib/notifications/deliver-notification";
import type { AuditEntryView } from "@/lib/audit/list-audit-log.types";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { PlanView } from "@/lib/plans/plan.types";
import { createTestApp, createUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";
import { HistoryLimits, PlanDefaults, type AppStatesResponse } from "@tollgate/relay/protocol";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

async function asAdmin() {
  session.user = await createUser(harness.db, { admin: true });
  return session.user;
}

async function customerApp(planSlug = "starter") {
  const owner = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, planSlug, name: `Searchable ${owner.email}` });
  return { owner, app };
}

async function snapshotApp(appId: string) {
  const res = await invoke<AppStatesResponse>(appStatesRoute, { method: "POST", headers: { authorization: `Bearer ${harness.relaySecret}` }, body: { appIds: [appId] } });
  return res.body.apps.find((a) => a.appId === appId);
}

describe("security: admin routes do not exist for non-admins", () => {
  it("answers 404 to a signed-in customer and 401 to nobody, changing nothing", async () => {
    const { owner, app } = await customerApp();
    const plan = await harness.db.plan.findUniqueOrThrow({ where: { slug: "free" } });
    const calls = () => [
      invoke(tenantsRoute),
      invoke(adminAppsRoute),
      invoke(adminPlansRoute),
      invoke(createPlanRoute, { method: "POST", body: { slug: "evil", name: "Evil", kind: "tiered" } }),
      invoke(patchPlanRoute, { method: "PATCH", params: { planId: plan.id }, body: { maxMessagesPerPeriod: 1 } }),
      invoke(overrideRoute, { method: "PUT", params: { appId: app.id }, body: { maxConcurrentConnections: 1_000_000 } }),
      invoke(clearOverrideRoute, { method: "DELETE", params: { appId: app.id } }),
      invoke(suspendRoute, { method: "POST", params: { appId: app.id } }),
      invoke(resumeRoute, { method: "POST", params: { appId: app.id } }),
      invoke(auditRoute),
    ];
    session.user = owner;
    for (const res of await Promise.all(calls())) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: "not_found" });
    }
    session.user = null;
    for (const res of await Promise.all(calls())) expect(res.status).toBe(401);
    expect(await harness.db.plan.findUnique({ where: { slug: "evil" } })).toBeNull();
    expect((await harness.db.plan.findUniqueOrThrow({ where: { id: plan.id } })).maxMessagesPerPeriod).toBe(100_000);
    expect(await harness.db.appLimitOverride.count({ where: { appId: app.id } })).toBe(0);
    expect((await harness.db.app.findUniqueOrThrow({ where: { id: app.id } })).status).toBe("active");
  });
});

describe("plans", () => {
  it("happy: create and edit, audited with before/after, and the edit reaches the snapshot", async () => {
    const admin = await asAdmin();
    const created = await invoke<{ plan: PlanView }>(createPlanRoute, {
      method: "POST",
      body: { slug: "team", name: "Team", kind: "tiered", maxConcurrentConnections: 500, maxMessagesPerPeriod: 1_000_000, overagesAllowed: true, overagePricePer1000MessagesMinor: 12 },
    });
    expect(created.status).toBe(201);
    // Not offered to customers until an admin says so.
    expect(created.body.plan).toMatchObject({ slug: "team", tokenBucketRefillPerSecond: 100, tokenBucketBurst: 200, isPublic: false });
    // The database's column defaults are the relay's defaults.
    expect(created.body.plan).toMatchObject({
      controlFrameRefillPerSecond: PlanDefaults.controlFrameRefillPerSecond,
      controlFrameBurst: PlanDefaults.controlFrameBurst,
      inboundBytesPerSecond: PlanDefaults.inboundBytesPerSecond,
      historySize: PlanDefaults.historySize,
      historyTtlSeconds: PlanDefaults.historyTtlSeconds,
    });
    const owner = await createUser(harness.db);
    const app = await createTestApp(harness.db, { tenantId: owner.tenantId, planSlug: "team" });
    const edited = await invoke<{ plan: PlanView }>(patchPlanRoute, {
      method: "PATCH",
      params: { planId: created.body.plan.id },
      body: { maxMessagesPerPeriod: 10, tokenBucketRefillPerSecond: 5, tokenBucketBurst: 10, controlFrameRefillPerSecond: 20, controlFrameBurst: 40, inboundBytesPerSecond: 65_536, historySize: 50, historyTtlSeconds: 120 },
    });
    expect(edited.body.plan).toMatchObject({ maxMessagesPerPeriod: 10, tokenBucketRefillPerSecond: 5, controlFrameBurst: 40 });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({
      maxMessagesPerPeriod: 10,
      tokenBucketRefillPerSecond: 5,
      tokenBucketBurst: 10,
      controlFrameRefillPerSecond: 20,
      controlFrameBurst: 40,
      inboundBytesPerSecond: 65_536,
      historySize: 50,
      historyTtlSeconds: 120,
    });
    const audit = await invoke<{ entries: AuditEntryView[] }>(auditRoute, { path: `/x?targetType=plan&targetId=${created.body.plan.id}` });
    expect(audit.body.entries.map((e) => e.action)).toEqual(["plan.update", "plan.create"]);
    expect(audit.body.entries[0]).toMatchObject({ actorId: admin.id, before: { maxMessagesPerPeriod: 1_000_000 }, after: { maxMessagesPerPeriod: 10 } });
  });

  it("channel limits: none by default; set on a plan they reach the snapshot, and emptied they are gone again", async () => {
    await asAdmin();
    const created = await invoke<{ plan: PlanView }>(createPlanRoute, { method: "POST", body: { slug: "rooms", name: "Rooms", kind: "tiered" } });
    expect(created.body.plan).toMatchObject({ maxPeersPerChannel: null, maxActiveChannels: null });
    const { app } = await customerApp("rooms");
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxPeersPerChannel: null, maxActiveChannels: null });
    const planId = created.body.plan.id;
    const limited = await invoke<{ plan: PlanView }>(patchPlanRoute, { method: "PATCH", params: { planId }, body: { maxPeersPerChannel: 50, maxActiveChannels: 10 } });
    expect(limited.body.plan).toMatchObject({ maxPeersPerChannel: 50, maxActiveChannels: 10 });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxPeersPerChannel: 50, maxActiveChannels: 10 });
    await invoke(patchPlanRoute, { method: "PATCH", params: { planId }, body: { maxPeersPerChannel: null } });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxPeersPerChannel: null, maxActiveChannels: 10 });
  });

  it("happy: turning overages off on a plan switches them off for its apps", async () => {
    await asAdmin();
    const created = await invoke<{ plan: PlanView }>(createPlanRoute, { method: "POST", body: { slug: "flex", name: "Flex", kind: "tiered", overagesAllowed: true } });
    const owner = await createUser(harness.db);
    const app = await createTestApp(harness.db, { tenantId: owner.tenantId, planSlug: "flex" });
    await harness.db.app.update({ where: { id: app.id }, data: { overagesEnabled: true } });
    await invoke(patchPlanRoute, { method: "PATCH", params: { planId: created.body.plan.id }, body: { overagesAllowed: false } });
    expect((await harness.db.app.findUniqueOrThrow({ where: { id: app.id } })).overagesEnabled).toBe(false);
  });

  it("a price edit tells the team of every app on the plan which prices change and from when; a limits edit sends no price notice", async () => {
    await asAdmin();
    const created = await invoke<{ plan: PlanView }>(createPlanRoute, {
      method: "POST",
      body: { slug: "priced", name: "Priced", kind: "tiered", overagesAllowed: true, monthlyPriceMinor: 0, overagePricePer1000MessagesMinor: 10 },
    });
    const { owner, app } = await customerApp("priced");
    const planId = created.body.plan.id;
    await invoke(patchPlanRoute, { method: "PATCH", params: { planId }, body: { maxMessagesPerPeriod: 5_000 } });
    const edited = await invoke<{ priceChange: unknown }>(patchPlanRoute, { method: "PATCH", params: { planId }, body: { overagePricePer1000MessagesMinor: 25, monthlyPriceMinor: 900 } });
    expect(edited.body.priceChange).toEqual({ affectedApps: 1, appliesFrom: "next_period" });
    session.user = owner;
    const listed = await invoke<{ notifications: NotificationView[] }>(notificationsRoute, { path: `/?appId=${app.id}` });
    const notices = listed.body.notifications.filter((notification) => notification.type === "plan.prices_changed");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      title: `${app.name}: Priced plan prices change`,
      message:
        "An administrator changed the prices of the Priced plan: monthly price $0.00 → $9.00, overage per 1,000 messages $0.10 → $0.25. They apply from the app's next billing period; this period keeps its prices.",
      data: { appliesFrom: "next_period", changes: [{ field: "monthlyPriceMinor", before: 0, after: 900 }, { field: "overagePricePer1000MessagesMinor", before: 10, after: 25 }] },
    });
  });

  it("errors: invalid plans are 422 naming the field; duplicate slug 409; unknown plan 404", async () => {
    await asAdmin();
    const cases: [Record<string, unknown>, string][] = [
      [{ slug: "Bad Slug", name: "x", kind: "tiered" }, "slug"],
      [{ slug: "ok", name: "x", kind: "gold" }, "kind"],
      [{ slug: "ok", name: "x", kind: "tiered", maxConcurrentConnections: -1 }, "maxConcurrentConnections"],
      [{ slug: "ok", name: "x", kind: "free", overagesAllowed: true }, "overagesAllowed"],
      [{ slug: "ok", name: "x", kind: "tiered", tokenBucketRefillPerSecond: 50, tokenBucketBurst: 10 }, "tokenBucketBurst"],
      [{ slug: "ok", name: "x", kind: "tiered", controlFrameRefillPerSecond: 50, controlFrameBurst: 10 }, "controlFrameBurst"],
      // Below 16 KB/s the byte budget's burst could not hold one 64 KB frame.
      [{ slug: "ok", name: "x", kind: "tiered", inboundBytesPerSecond: 1_000 }, "inboundBytesPerSecond"],
      // History keeps nothing with only one of its two fields set.
      [{ slug: "ok", name: "x", kind: "tiered", historySize: 100 }, "historyTtlSeconds"],
      [{ slug: "ok", name: "x", kind: "tiered", historySize: HistoryLimits.maxSize + 1, historyTtlSeconds: 60 }, "historySize"],
      // A channel limit of 0 would refuse every subscribe: none is null.
      [{ slug: "ok", name: "x", kind: "tiered", maxPeersPerChannel: 0 }, "maxPeersPerChannel"],
      [{ slug: "ok", name: "x", kind: "tiered", maxActiveChannels: 2.5 }, "maxActiveChannels"],
      [{ slug: "ok", name: "x", kind: "tiered", surprise: 1 }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await invoke(createPlanRoute, { method: "POST", body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      if (field) expect(res.body).toMatchObject({ field });
    }
    const duplicate = await invoke(createPlanRoute, { method: "POST", body: { slug: "free", name: "Free again", kind: "free" } });
    expect(duplicate.status).toBe(409);
    expect((await invoke(patchPlanRoute, { method: "PATCH", params: { planId: "nope" }, body: { name: "x" } })).status).toBe(404);
  });
});

describe("overrides", () => {
  it("happy: set, merge, clear — effective limits in the response and the snapshot, audited", async () => {
    await asAdmin();
    const { app } = await customerApp("starter");
    const params = { appId: app.id };
    const set = await invoke(overrideRoute, { method: "PUT", params, body: { maxConcurrentConnections: 5, note: "abuse" } });
    expect(set.body).toMatchObject({ override: { maxConcurrentConnections: 5, note: "abuse" }, limits: { maxConcurrentConnections: 5, maxMessagesPerPeriod: 5_000_000 } });
    const merged = await invoke(overrideRoute, { method: "PUT", params, body: { maxMessagesPerPeriod: 42 } });
    expect(merged.body).toMatchObject({ limits: { maxConcurrentConnections: 5, maxMessagesPerPeriod: 42 } });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxConcurrentConnections: 5, maxMessagesPerPeriod: 42 });
    const cleared = await invoke(clearOverrideRoute, { method: "DELETE", params });
    expect(cleared.body).toMatchObject({ override: null, limits: { maxConcurrentConnections: 1000 } });
    const audit = await invoke<{ entries: AuditEntryView[] }>(auditRoute, { path: `/x?targetType=app&targetId=${app.id}` });
    expect(audit.body.entries.map((e) => e.action).slice(0, 3)).toEqual(["app_override.clear", "app_override.set", "app_override.set"]);
  });

  it("an override saved with every field empty is no override: the app is not flagged, and emptying a set override removes it", async () => {
    await asAdmin();
    const { app } = await customerApp("starter");
    const params = { appId: app.id };
    const empty = { maxConcurrentConnections: null, maxMessagesPerPeriod: null, overagesAllowed: null, tokenBucketBurst: null, note: null };
    const saved = await invoke(overrideRoute, { method: "PUT", params, body: empty });
    expect(saved).toMatchObject({ status: 200, body: { override: null, limits: { maxConcurrentConnections: 1000 } } });
    expect(await harness.db.appLimitOverride.count({ where: { appId: app.id } })).toBe(0);
    const listed = await invoke<{ apps: { id: string; override: unknown }[] }>(adminAppsRoute, { path: `/?q=${app.id}` });
    expect(listed.body.apps.find((entry) => entry.id === app.id)?.override).toBeNull();

    await invoke(overrideRoute, { method: "PUT", params, body: { maxConcurrentConnections: 5 } });
    const emptied = await invoke(overrideRoute, { method: "PUT", params, body: { ...empty, note: "only a note" } });
    expect(emptied.body).toMatchObject({ override: null, limits: { maxConcurrentConnections: 1000 } });
    expect(await harness.db.appLimitOverride.count({ where: { appId: app.id } })).toBe(0);
    const audit = await invoke<{ entries: AuditEntryView[] }>(auditRoute, { path: `/x?targetType=app&targetId=${app.id}` });
    expect(audit.body.entries.map((e) => e.action).slice(0, 2)).toEqual(["app_override.clear", "app_override.set"]);
  });

  it("channel limits: an override sets them for one app where its plan has none (the team is told), and removing it lifts them", async () => {
    const admin = await asAdmin();
    const { owner, app } = await customerApp("starter");
    const params = { appId: app.id };
    const set = await invoke(overrideRoute, { method: "PUT", params, body: { maxPeersPerChannel: 8, maxActiveChannels: 3 } });
    expect(set.body).toMatchObject({ override: { maxPeersPerChannel: 8, maxActiveChannels: 3 }, limits: { maxPeersPerChannel: 8, maxActiveChannels: 3 } });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxPeersPerChannel: 8, maxActiveChannels: 3 });
    session.user = owner;
    const listed = await invoke<{ notifications: NotificationView[] }>(notificationsRoute, { path: `/?appId=${app.id}` });
    expect(listed.body.notifications.find((notification) => notification.type === "limits.changed")?.message).toBe(
      "Concurrent connections 1,000 → 1,000, messages per period 5,000,000 → 5,000,000, active channels unlimited → 3, peers per channel unlimited → 8.",
    );
    session.user = admin;
    // An override with only channel limits is an override: emptying them removes it.
    const emptied = await invoke(overrideRoute, { method: "PUT", params, body: { maxPeersPerChannel: null, maxActiveChannels: null } });
    expect(emptied.body).toMatchObject({ override: null, limits: { maxPeersPerChannel: null, maxActiveChannels: null } });
    expect((await snapshotApp(app.id))?.limits).toMatchObject({ maxPeersPerChannel: null, maxActiveChannels: null });
  });

  it("errors: bad values 422 naming the field; unknown app 404", async () => {
    await asAdmin();
    const { app } = await customerApp();
    for (const field of ["maxPeersPerChannel", "maxActiveChannels"]) {
      const refused = await invoke(overrideRoute, { method: "PUT", params: { appId: app.id }, body: { [field]: 0 } });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ field });
    }
    const bad = await invoke(overrideRoute, { method: "PUT", params: { appId: app.id }, body: { tokenBucketBurst: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ field: "tokenBucketBurst" });
    expect((await invoke(overrideRoute, { method: "PUT", params: { appId: "app_missing" }, body: { tokenBucketBurst: 5 } })).status).toBe(404);
  });
});

describe("suspend and resume", () => {
  it("happy: reach the snapshot and the audit log", async () => {
    await asAdmin();
    const { app } = await customerApp();
    const suspended = await invoke(suspendRoute, { method: "POST", params: { appId: app.id }, body: { reason: "unpaid" } });
    expect(suspended.body).toMatchObject({ app: { id: app.id, status: "suspended" } });
    expect((await snapshotApp(app.id))?.status).toBe("suspended");
    const resumed = await invoke(resumeRoute, { method: "POST", params: { appId: app.id } });
    expect(resumed.body).toMatchObject({ app: { status: "active" } });
    const audit = await invoke<{ entries: AuditEntryView[] }>(auditRoute, { path: `/x?targetId=${app.id}` });
    expect(audit.body.entries.slice(0, 2)).toMatchObject([
      { action: "app.resume", before: { status: "suspended" }, after: { status: "active" } },
      { action: "app.suspend", after: { status: "suspended", reason: "unpaid" } },
    ]);
  });
});

describe("what the team is told of a suspension", () => {
  it("says whether the suspension was emailed, and its banner ends for everyone when the app is resumed", async () => {
    const admin = await asAdmin();
    const { owner, app } = await customerApp();
    await invoke(suspendRoute, { method: "POST", params: { appId: app.id }, body: { reason: "unpaid" } });
    expect(await getSuspensionNotice(harness.db, { appId: app.id })).toMatchObject({ reason: "unpaid", email: "sending" });
    // Without SMTP the email is skipped: the dashboard must not point at it.
    const delivery = await harness.db.notificationDelivery.findFirstOrThrow({ where: { channel: "email", event: { appId: app.id, type: "app.suspended" } } });
    await deliverNotification(harness.db, { ...deliveryConfigFromEnv(getServerEnv()), smtpUrl: undefined }, delivery.id);
    expect(await getSuspensionNotice(harness.db, { appId: app.id })).toMatchObject({ email: "not_sent" });

    const suspensionBanners = async () => {
      session.user = owner;
      const listed = await invoke<{ notifications: NotificationView[] }>(notificationsRoute, { path: `/x?appId=${app.id}` });
      return listed.body.notifications.filter((item) => item.type === "app.suspended" && item.banner && !item.readAt);
    };
    expect(await suspensionBanners()).toHaveLength(1);
    session.user = admin;
    await invoke(resumeRoute, { method: "POST", params: { appId: app.id } });
    expect(await suspensionBanners()).toEqual([]);
    expect(await getSuspensionNotice(harness.db, { appId: app.id })).toBeNull();
  });
});

describe("search and audit paging", () => {
  it("finds tenants by member email and apps by name", async () => {
    await asAdmin();
    const { owner, app } = await customerApp();
    const tenants = await invoke<{ tenants: { id: string; members: { email: string }[]; appCount: number }[] }>(tenantsRoute, { path: `/x?q=${encodeURIComponent(owner.email)}` });
    expect(tenants.body.tenants).toEqual([expect.objectContaining({ id: owner.tenantId, appCount: 1, members: [expect.objectContaining({ email: owner.email })] })]);
    const apps = await invoke<{ apps: { id: string; balanceMinor: number }[] }>(adminAppsRoute, { path: `/x?q=${encodeURIComponent(owner.email.toUpperCase())}` });
    expect(apps.body.apps).toEqual([expect.objectContaining({ id: app.id, balanceMinor: 0 })]);
  });

  it("pages the audit log with a cursor", async () => {
    await asAdmin();
    const { app } = await customerApp();
    for (let i = 0; i < 30; i++) {
      await invoke(overrideRoute, { method: "PUT", params: { appId: app.id }, body: { tokenBucketBurst: 200 + i } });
      await invoke(clearOverrideRoute, { method: "DELETE", params: { appId: app.id } });
    }
    const first = await invoke<{ entries: AuditEntryView[]; nextCursor: string | null }>(auditRoute, { path: `/x?targetId=${app.id}` });
    expect(first.body.entries).toHaveLength(50);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await invoke<{ entries: AuditEntryView[]; nextCursor: string | null }>(auditRoute, { path: `/x?targetId=${app.id}&cursor=${first.body.nextCursor}` });
    // 30 sets + 30 clears + the app's creation, each exactly once across the pages
    const all = [...first.body.entries, ...second.body.entries];
    expect(all).toHaveLength(61);
    expect(new Set(all.map((e) => e.id)).size).toBe(61);
    expect(second.body.nextCursor).toBeNull();
    expect(all.at(-1)?.action).toBe("app.create");
  });
});
