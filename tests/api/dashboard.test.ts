// The dashboard JSON API (docs/dashboard-api.md): apps, usage, keys, billing, plans — happy, error
// and security (tenancy) cases through the real handlers with a mocked session.
import { Limits, PlanDefaults } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as getAppRoute, PATCH as patchAppRoute, DELETE as deleteAppRoute } from "@/app/api/apps/[appId]/route";
import { PUT as autoRechargeRoute } from "@/app/api/apps/[appId]/billing/auto-recharge/route";
import { GET as billingRoute } from "@/app/api/apps/[appId]/billing/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { POST as rollKeyRoute } from "@/app/api/apps/[appId]/keys/[keyId]/roll/route";
import { DELETE as revokeKeyRoute } from "@/app/api/apps/[appId]/keys/[keyId]/route";
import { GET as listKeysRoute, POST as createKeyRoute } from "@/app/api/apps/[appId]/keys/route";
import { GET as seriesRoute } from "@/app/api/apps/[appId]/usage/series/route";
import { GET as appUsageRoute } from "@/app/api/apps/[appId]/usage/route";
import { GET as listAppsRoute, POST as createAppRoute } from "@/app/api/apps/route";
import { GET as plansRoute } from "@/app/api/plans/route";
import type { AppView } from "@/lib/apps/app.types";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { KeyView } from "@/lib/keys/key.types";
import { NOTICE_INTERVAL_MS } from "@/lib/relay/notify-relays";
import { createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

async function signIn(options: { admin?: boolean } = {}): Promise<TestUser> {
  const user = await createUser(harness.db, options);
  session.user = user;
  return user;
}

async function createAppAs(user: TestUser, body: Record<string, unknown> = { name: "My app" }): Promise<AppView> {
  session.user = user;
  const res = await invoke<{ app: AppView }>(createAppRoute, { method: "POST", body });
  expect(res.status).toBe(201);
  return res.body.app;
}

describe("apps", () => {
  it("happy: create, list, read, rename, change plan, enable overages, delete", async () => {
    const user = await signIn();
    const app = await createAppAs(user, { name: "  Chat  " });
    expect(app).toMatchObject({ name: "Chat", status: "active", tenantId: user.tenantId, plan: { slug: "free" }, overagesEnabled: false, relayUrl: "ws://relay.test" });
    expect(app.limits).toEqual({
      maxConcurrentConnections: 100,
      maxMessagesPerPeriod: 100_000,
      overagesAllowed: false,
      tokenBucketRefillPerSecond: 100,
      tokenBucketBurst: 200,
      connectAttemptsPerIpPerMinute: 60,
      controlFrameRefillPerSecond: PlanDefaults.controlFrameRefillPerSecond,
      controlFrameBurst: PlanDefaults.controlFrameBurst,
      inboundBytesPerSecond: PlanDefaults.inboundBytesPerSecond,
      historySize: 0,
      historyTtlSeconds: 0,
      // Channel limits are optional: none on the default plan.
      maxPeersPerChannel: null,
      maxActiveChannels: null,
    });
    expect(Date.parse(app.period.end)).toBeGreaterThan(Date.parse(app.period.start));
    const list = await invoke<{ apps: AppView[]; tenants: { id: string; role: string }[] }>(listAppsRoute);
    expect(list.body.apps.map((a) => a.id)).toEqual([app.id]);
    expect(list.body.tenants).toEqual([expect.objectContaining({ id: user.tenantId, role: "owner" })]);
    await invoke(topUpRoute, { method: "POST", params: { appId: app.id }, body: { amountMinor: 5000, cardNumber: "4242424242424242" } });
    const patched = await invoke<{ app: AppView }>(patchAppRoute, { method: "PATCH", params: { appId: app.id }, body: { name: "Chat 2", planSlug: "starter", overagesEnabled: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.app).toMatchObject({ name: "Chat 2", plan: { slug: "starter" }, overagesEnabled: true, limits: { maxConcurrentConnections: 1000 } });
    const audit = await harness.db.auditLog.findMany({ where: { targetId: app.id, action: { in: ["app.update", "app.plan_change"] } }, orderBy: { at: "asc" } });
    expect(audit.map((entry) => entry.action)).toEqual(["app.plan_change", "app.update"]);
    expect(audit[0]).toMatchObject({ actorId: user.id, before: { planSlug: "free" }, after: { planSlug: "starter" } });
    expect(audit[1]).toMatchObject({ actorId: user.id, before: { name: "Chat", overagesEnabled: false }, after: { name: "Chat 2", overagesEnabled: true } });
    const deleted = await invoke(deleteAppRoute, { method: "DELETE", params: { appId: app.id } });
    expect(deleted.body).toEqual({ id: app.id, deleted: true });
    expect((await invoke(getAppRoute, { params: { appId: app.id } })).status).toBe(404);
  });

  it("errors: overages on a plan without them are refused naming the field; bad bodies 422; unknown plan 422", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const refused = await invoke(patchAppRoute, { method: "PATCH", params: { appId: app.id }, body: { overagesEnabled: true } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: "invalid_request", field: "overagesEnabled", message: expect.stringContaining("no overages") });
    // Pay-as-you-go bills all usage from the balance: there is no overage to switch on or off.
    const payg = await createAppAs(user, { name: "Metered", planSlug: "payg" });
    const paygToggle = await invoke(patchAppRoute, { method: "PATCH", params: { appId: payg.id }, body: { overagesEnabled: true } });
    expect(paygToggle.status).toBe(422);
    expect(paygToggle.body).toMatchObject({ field: "overagesEnabled", message: expect.stringContaining("pay-as-you-go") });
    const emptyName = await invoke(createAppRoute, { method: "POST", body: { name: "" } });
    expect(emptyName.status).toBe(422);
    expect(emptyName.body).toMatchObject({ field: "name" });
    const unknownField = await invoke(patchAppRoute, { method: "PATCH", params: { appId: app.id }, body: { status: "suspended" } });
    expect(unknownField.status).toBe(422);
    const unknownPlan = await invoke(createAppRoute, { method: "POST", body: { name: "x", planSlug: "platinum" } });
    expect(unknownPlan.status).toBe(422);
    expect(unknownPlan.body).toMatchObject({ field: "planSlug" });
    const notJson = await invoke(createAppRoute, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
  });

  it("security: signed-out callers get 401; another tenant's app is 404 on every route", async () => {
    const owner = await signIn();
    const app = await createAppAs(owner);
    session.user = null;
    expect((await invoke(listAppsRoute)).status).toBe(401);
    expect((await invoke(getAppRoute, { params: { appId: app.id } })).status).toBe(401);
    await signIn();
    const params = { appId: app.id };
    const attempts = [
      invoke(getAppRoute, { params }),
      invoke(patchAppRoute, { method: "PATCH", params, body: { name: "mine now" } }),
      invoke(deleteAppRoute, { method: "DELETE", params }),
      invoke(appUsageRoute, { params }),
      invoke(seriesRoute, { params }),
      invoke(listKeysRoute, { params }),
      invoke(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: "steal" } }),
      invoke(billingRoute, { params }),
      invoke(topUpRoute, { method: "POST", params, body: { amountMinor: 100, cardNumber: "4242424242424242" } }),
      invoke(autoRechargeRoute, { method: "PUT", params, body: { enabled: false, thresholdMinor: 0, amountMinor: 100 } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: "not_found" });
    }
    const stillThere = await harness.db.app.findUniqueOrThrow({ where: { id: app.id } });
    expect(stillThere.name).toBe("My app");
    expect(await harness.db.apiKey.count({ where: { appId: app.id } })).toBe(0);
    const otherTenant = await invoke(createAppRoute, { method: "POST", body: { name: "x", tenantId: owner.tenantId } });
    expect(otherTenant.status).toBe(404);
  });
});

describe("usage", () => {
  it("happy: the same body as /v1/usage, and chart series for each range", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const usage = await invoke(appUsageRoute, { params: { appId: app.id } });
    expect(usage.body).toMatchObject({ appId: app.id, messagesUsed: 0, plan: { name: "Free" }, relayReachable: true });
    for (const [range, count] of [
      ["hour", 60],
      ["day", 96],
    ] as const) {
      const series = await invoke<{ points: unknown[]; bucketSec: number }>(seriesRoute, { path: `/x?range=${range}`, params: { appId: app.id } });
      expect(series.body.points).toHaveLength(count);
    }
    const period = await invoke<{ points: unknown[]; bucketSec: number; outcomes: unknown }>(seriesRoute, { path: "/x?range=period", params: { appId: app.id } });
    expect(period.body.bucketSec).toBe(86_400);
    expect(period.body.points.length).toBeGreaterThanOrEqual(28);
    expect(period.body.outcomes).toEqual({ delivered: 0, softDrops: 0, closesByCode: {} });
  });

  it("says the plan kind, and on pay as you go the free allowance used (null on other kinds)", async () => {
    const user = await signIn();
    const free = await createAppAs(user);
    expect((await invoke(appUsageRoute, { params: { appId: free.id } })).body).toMatchObject({ plan: { kind: "free" }, allowance: null });
    const payg = await createAppAs(user, { name: "Metered", planSlug: "payg" });
    expect((await invoke(appUsageRoute, { params: { appId: payg.id } })).body).toMatchObject({
      plan: { kind: "pay_as_you_go" },
      allowance: { connectionMinutes: { used: 0, free: 100_000 }, deliveredMessages: { used: 0, free: 1_000_000 }, egressBytes: { used: 0, free: 1_000_000_000 } },
    });
  });

  it("errors: an unknown range is 422 naming it", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const res = await invoke(seriesRoute, { path: "/x?range=year", params: { appId: app.id } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ field: "range" });
  });
});

describe("keys", () => {
  it("happy: create returns the secret once; list, revoke and roll", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const params = { appId: app.id };
    const created = await invoke<{ key: KeyView; secret: string }>(createKeyRoute, {
      method: "POST",
      params,
      body: { kind: "secret", name: "backend", channelPatterns: ["chat/**"], actions: ["publish", "subscribe"] },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^sk_secret_/);
    expect(created.body.key).toMatchObject({ kind: "secret", status: "active", channelPatterns: ["chat/**"], actions: ["publish", "subscribe"], lastUsedAt: null });
    const pk = await invoke<{ key: KeyView; secret: null }>(createKeyRoute, { method: "POST", params, body: { kind: "publishable", name: "web", allowedOrigins: ["https://app.example"] } });
    expect(pk.body.secret).toBeNull();
    const list = await invoke<{ keys: KeyView[]; count: number; limit: number }>(listKeysRoute, { params });
    expect(list.body).toMatchObject({ count: 2, limit: 50 });
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    const rolled = await invoke<{ key: KeyView; secret: string; previous: KeyView }>(rollKeyRoute, {
      method: "POST",
      params: { appId: app.id, keyId: created.body.key.id },
      body: { gracePeriodSec: 600 },
    });
    expect(rolled.status).toBe(201);
    expect(rolled.body.secret).toMatch(/^sk_secret_/);
    expect(rolled.body.previous).toMatchObject({ id: created.body.key.id, status: "expiring" });
    expect(Date.parse(rolled.body.previous.expiresAt ?? "") - Date.now()).toBeGreaterThan(590_000);
    const rolledNoBody = await invoke<{ previous: KeyView }>(rollKeyRoute, { method: "POST", params: { appId: app.id, keyId: pk.body.key.id } });
    expect(rolledNoBody.status).toBe(201);
    expect(Date.parse(rolledNoBody.body.previous.expiresAt ?? "") - Date.now()).toBeGreaterThan(86_000_000);
    const revoked = await invoke<{ key: KeyView }>(revokeKeyRoute, { method: "DELETE", params: { appId: app.id, keyId: rolled.body.key.id } });
    expect(revoked.body.key.status).toBe("revoked");
  });

  it("creating and revoking a key tell the relay within a second (notices are debounced per app), so it need not wait for its next poll", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const params = { appId: app.id };
    const keyNotices = () => harness.relay.planChangeNotices.filter((notice) => notice.appId === app.id && notice.kind === "key").length;
    const created = await invoke<{ key: KeyView }>(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: "fresh" } });
    expect(created.status).toBe(201);
    await vi.waitFor(() => expect(keyNotices()).toBe(1), { timeout: 3 * NOTICE_INTERVAL_MS });
    await invoke(revokeKeyRoute, { method: "DELETE", params: { appId: app.id, keyId: created.body.key.id } });
    await vi.waitFor(() => expect(keyNotices()).toBe(2), { timeout: 3 * NOTICE_INTERVAL_MS });
  });

  it("errors: the 51st key is refused with 409 limit_exceeded; bad bodies name the field", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const params = { appId: app.id };
    for (let i = 0; i < Limits.maxKeysPerApp; i++) {
      const res = await invoke(createKeyRoute, { method: "POST", params, body: { kind: "publishable", name: `k${i}` } });
      expect(res.status).toBe(201);
    }
    const refused = await invoke(createKeyRoute, { method: "POST", params, body: { kind: "secret", name: "51st" } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "limit_exceeded", message: expect.stringContaining("50") });
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "master", name: "x" }, "kind"],
      [{ kind: "secret", name: "" }, "name"],
      [{ kind: "secret", name: "x", actions: ["fly"] }, "actions.0"],
      [{ kind: "secret", name: "x", allowedOrigins: ["https://a.test"] }, "allowedOrigins"],
      [{ kind: "publishable", name: "x", allowedOrigins: ["not a url"] }, "allowedOrigins.0"],
    ];
    for (const [body, field] of cases) {
      const res = await invoke(createKeyRoute, { method: "POST", params, body });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ field });
    }
  }, 60_000);

  it("security: a key of another app (even the user's own) is 404", async () => {
    const user = await signIn();
    const [a, b] = [await createAppAs(user), await createAppAs(user)];
    const created = await invoke<{ key: KeyView }>(createKeyRoute, { method: "POST", params: { appId: a.id }, body: { kind: "secret", name: "k" } });
    const wrongApp = await invoke(revokeKeyRoute, { method: "DELETE", params: { appId: b.id, keyId: created.body.key.id } });
    expect(wrongApp.status).toBe(404);
    expect((await invoke(rollKeyRoute, { method: "POST", params: { appId: b.id, keyId: created.body.key.id } })).status).toBe(404);
    await signIn();
    expect((await invoke(revokeKeyRoute, { method: "DELETE", params: { appId: a.id, keyId: created.body.key.id } })).status).toBe(404);
    expect((await harness.db.apiKey.findUniqueOrThrow({ where: { id: created.body.key.id } })).revokedAt).toBeNull();
  });
});

describe("billing", () => {
  it("happy: top-up, auto-recharge settings, ledger and test cards", async () => {
    const user = await signIn();
    const app = await createAppAs(user, { name: "Paid" });
    const params = { appId: app.id };
    const topUp = await invoke(topUpRoute, { method: "POST", params, body: { amountMinor: 2000, cardNumber: "4242 4242 4242 4242" } });
    expect(topUp.status).toBe(200);
    expect(topUp.body).toMatchObject({ balanceMinor: 2000, entry: { kind: "top_up", amountMinor: 2000 } });
    const settings = await invoke(autoRechargeRoute, { method: "PUT", params, body: { enabled: true, thresholdMinor: 300, amountMinor: 1000 } });
    expect(settings.body).toEqual({ autoRecharge: { enabled: true, thresholdMinor: 300, amountMinor: 1000 }, paymentMethod: { ref: "pm_test_4242", brand: "visa", last4: "4242" } });
    const billing = await invoke(billingRoute, { params });
    expect(billing.body).toMatchObject({
      balanceMinor: 2000,
      currency: "USD",
      autoRecharge: { enabled: true, thresholdMinor: 300, amountMinor: 1000 },
      overageCostMinor: 0,
      projectedCostMinor: 0,
      ledger: [{ kind: "top_up", amountMinor: 2000, balanceAfterMinor: 2000 }],
      attempts: [{ kind: "top_up", status: "succeeded" }],
    });
    expect((billing.body.testCards as unknown[]).length).toBeGreaterThanOrEqual(3);
  });

  it("errors: a declined card is 402 naming cardNumber; bad amounts 422; auto-recharge without a card 422", async () => {
    const user = await signIn();
    const app = await createAppAs(user);
    const params = { appId: app.id };
    const declined = await invoke(topUpRoute, { method: "POST", params, body: { amountMinor: 2000, cardNumber: "4000000000000002" } });
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ error: "payment_failed", field: "cardNumber" });
    for (const amountMinor of [0, 99, 10.5, 2_000_000]) {
      const res = await invoke(topUpRoute, { method: "POST", params, body: { amountMinor, cardNumber: "4242424242424242" } });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ field: "amountMinor" });
    }
    const noCard = await invoke(autoRechargeRoute, { method: "PUT", params, body: { enabled: true, thresholdMinor: 100, amountMinor: 1000 } });
    expect(noCard.status).toBe(422);
    expect(noCard.body).toMatchObject({ field: "cardNumber" });
  });
});

describe("plans", () => {
  it("lists public plans to customers and hidden ones too to admins", async () => {
    await harness.db.plan.upsert({
      where: { slug: "internal-test" },
      create: { slug: "internal-test", name: "Internal", kind: "tiered", isPublic: false },
      update: {},
    });
    await signIn();
    const customer = await invoke<{ plans: { slug: string; freeEgressBytes: number }[] }>(plansRoute);
    expect(customer.body.plans.map((p) => p.slug)).toEqual(["free", "starter", "growth", "unlimited", "payg"]);
    expect(customer.body.plans.find((p) => p.slug === "payg")?.freeEgressBytes).toBe(1_000_000_000);
    await signIn({ admin: true });
    const admin = await invoke<{ plans: { slug: string }[] }>(plansRoute);
    expect(admin.body.plans.map((p) => p.slug)).toContain("internal-test");
  });
});
