// The internal relay API: app states (by key id or app ids), the change feed, usage (exactly once),
// recharge. Only the relay secret gets in — not sessions, not customer keys, not a near-miss secret.
import { PlanDefaults, appStatesResponseSchema, changeFeedResponseSchema, usageBatchResponseSchema, type SnapshotApp } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as appStatesRoute } from "@/app/api/internal/relay/app-states/route";
import { GET as changesRoute } from "@/app/api/internal/relay/changes/route";
import { POST as usageRoute } from "@/app/api/internal/relay/usage/route";
import { POST as rechargeRoute } from "@/app/api/internal/relay/recharge/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { setAutoRecharge } from "@/lib/billing/set-auto-recharge";
import { createApiKey } from "@/lib/keys/create-api-key";
import { revokeApiKey, rollApiKey } from "@/lib/keys/manage-api-keys";
import { setAppOverride } from "@/lib/plans/set-app-override";
import { updatePlan } from "@/lib/plans/update-plan";
import { NOTICE_INTERVAL_MS } from "@/lib/relay/notify-relays";
import { createTestApp, createUser, TEST_ENCRYPTION_KEY, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
const actor = { id: null };

beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

const relayAuth = () => ({ authorization: `Bearer ${harness.relaySecret}` });

async function newApp(planSlug = "starter") {
  const user = await createUser(harness.db);
  const app = await createTestApp(harness.db, { tenantId: user.tenantId, planSlug });
  return { user, app };
}

async function fetchAppState(appId: string): Promise<SnapshotApp | undefined> {
  const res = await invoke(appStatesRoute, { method: "POST", headers: relayAuth(), body: { appIds: [appId] } });
  expect(res.status).toBe(200);
  return appStatesResponseSchema.parse(res.body).apps.find((a) => a.appId === appId);
}

async function changesSince(since?: string) {
  const res = await invoke(changesRoute, { path: `/api/internal/relay/changes${since === undefined ? "" : `?since=${encodeURIComponent(since)}`}`, headers: relayAuth() });
  expect(res.status).toBe(200);
  return changeFeedResponseSchema.parse(res.body);
}

describe("app states — happy path", () => {
  it("carries each app's effective limits, billing, period, usage baseline and decrypted signing secrets", async () => {
    const { app } = await newApp("starter");
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const pk = await createApiKey(harness.db, { appId: app.id, kind: "publishable", name: "p", encryptionKey: TEST_ENCRYPTION_KEY, allowedOrigins: ["https://x.test"] });
    await setAppOverride(harness.db, { actor, appId: app.id, changes: { maxConcurrentConnections: 7, controlFrameBurst: 300, historySize: 25, historyTtlSeconds: 600 } });
    const entry = await fetchAppState(app.id);
    expect(entry).toMatchObject({
      status: "active",
      planName: "Starter",
      limits: {
        maxConcurrentConnections: 7,
        maxMessagesPerPeriod: 5_000_000,
        tokenBucketRefillPerSecond: 200,
        tokenBucketBurst: 400,
        connectAttemptsPerIpPerMinute: 60,
        controlFrameRefillPerSecond: PlanDefaults.controlFrameRefillPerSecond,
        controlFrameBurst: 300,
        inboundBytesPerSecond: PlanDefaults.inboundBytesPerSecond,
        historySize: 25,
        historyTtlSeconds: 600,
      },
      billing: { overagesAllowed: true, overagesEnabled: false, balanceMinor: 0, autoRechargeEnabled: false, overagePricePer1000MessagesMinor: 10, overagePricePerConnectionMinor: 5 },
      usage: { messagesUsed: 0, overageMessages: 0, overageConnections: 0, peakConcurrent: 0 },
    });
    expect(entry?.period.endUnix).toBeGreaterThan(entry?.period.startUnix ?? Infinity);
    expect(entry?.keys.find((k) => k.keyId === key.id)).toMatchObject({ kind: "secret", revoked: false, signingSecret: key.secret, expiresAtUnix: null });
    const publishable = entry?.keys.find((k) => k.keyId === pk.id);
    expect(publishable).toMatchObject({ kind: "publishable", allowedOrigins: ["https://x.test"], actions: ["subscribe", "publish", "presence"] });
    expect(publishable).not.toHaveProperty("signingSecret");
  });

  it("finds an app by one of its key ids, and answers no app for an unknown or deleted one", async () => {
    const { app } = await newApp("starter");
    const key = await createApiKey(harness.db, { appId: app.id, kind: "publishable", name: "p", encryptionKey: TEST_ENCRYPTION_KEY });
    const byKey = await invoke(appStatesRoute, { method: "POST", headers: relayAuth(), body: { keyId: key.id } });
    expect(appStatesResponseSchema.parse(byKey.body).apps.map((a) => a.appId)).toEqual([app.id]);
    const unknown = await invoke(appStatesRoute, { method: "POST", headers: relayAuth(), body: { keyId: "pk_live_nope" } });
    expect(appStatesResponseSchema.parse(unknown.body).apps).toEqual([]);
    await harness.db.app.update({ where: { id: app.id }, data: { deletedAt: new Date() } });
    expect(await fetchAppState(app.id)).toBeUndefined();
    const tooMany = await invoke(appStatesRoute, { method: "POST", headers: relayAuth(), body: { appIds: Array.from({ length: 501 }, (_, i) => `app_${i}`) } });
    expect(tooMany.status).toBe(422);
  });
});

describe("change feed", () => {
  it("lists an app after each change to what relays enforce (key create and revoke, override), never after usage, from a cursor", async () => {
    const { app } = await newApp("starter");
    const head = await changesSince();
    expect(head.changes).toEqual([]);
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const afterCreate = await changesSince(head.cursor);
    expect(afterCreate.changes.map((c) => c.appId)).toEqual([app.id]);
    expect(await changesSince(afterCreate.cursor)).toMatchObject({ changes: [], cursor: afterCreate.cursor });

    const periodStart = (await fetchAppState(app.id))?.period.startUnix ?? 0;
    await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: usageBatch([usageDelta(app.id, periodStart, { messagesAccepted: 5 })]) });
    expect((await changesSince(afterCreate.cursor)).changes).toEqual([]);

    await revokeApiKey(harness.db, { actor, appId: app.id, keyId: key.id });
    await setAppOverride(harness.db, { actor, appId: app.id, changes: { maxConcurrentConnections: 3 } });
    const later = await changesSince(afterCreate.cursor);
    // One entry per app, at its latest version: the state a relay then asks for has both changes.
    expect(later.changes.map((c) => c.appId)).toEqual([app.id]);
    const state = await fetchAppState(app.id);
    expect(state?.version).toBe(later.changes[0]?.version);
    expect(state?.keys.find((k) => k.keyId === key.id)).toMatchObject({ revoked: true });
    expect(state?.limits.maxConcurrentConnections).toBe(3);
  });

  it("a plan edit lists every app on the plan, a page at a time, and refuses a cursor it did not issue", async () => {
    const plan = await harness.db.plan.create({ data: { ...(await harness.db.plan.findUniqueOrThrow({ where: { slug: "starter" }, omit: { id: true, createdAt: true, updatedAt: true } })), slug: `feed-${Date.now()}`, name: "Feed", isPublic: false } });
    const apps = await Promise.all(Array.from({ length: 3 }, async () => (await newApp()).app));
    await harness.db.app.updateMany({ where: { id: { in: apps.map((a) => a.id) } }, data: { planId: plan.id } });
    const head = await changesSince();
    await updatePlan(harness.db, { actor, planId: plan.id, changes: { maxMessagesPerPeriod: 777 } });
    const listed = await changesSince(head.cursor);
    expect(listed.changes.map((c) => c.appId).sort()).toEqual(apps.map((a) => a.id).sort());
    expect(new Set(listed.changes.map((c) => c.version)).size).toBe(1);
    expect((await fetchAppState(apps[0]?.id ?? ""))?.limits.maxMessagesPerPeriod).toBe(777);
    const bad = await invoke(changesRoute, { path: "/api/internal/relay/changes?since=not-a-cursor", headers: relayAuth() });
    expect(bad.status).toBe(400);
  });
});

describe("app states — keys, plans and usage", () => {
  it("keeps a rolled key valid with its expiry, and marks it revoked once the grace period is over", async () => {
    const { app } = await newApp();
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const { key: next, previous } = await rollApiKey(harness.db, { actor, appId: app.id, keyId: key.id, gracePeriodSec: 3600, encryptionKey: TEST_ENCRYPTION_KEY });
    const during = (await fetchAppState(app.id))?.keys ?? [];
    expect(during.find((k) => k.keyId === key.id)).toMatchObject({ revoked: false, signingSecret: key.secret, expiresAtUnix: Math.floor(Date.parse(previous.expiresAt ?? "") / 1000) });
    expect(during.find((k) => k.keyId === next.id)).toMatchObject({ revoked: false, signingSecret: next.secret, expiresAtUnix: null });
    await harness.db.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const after = (await fetchAppState(app.id))?.keys ?? [];
    expect(after.find((k) => k.keyId === key.id)).toMatchObject({ revoked: true });
    expect(after.find((k) => k.keyId === key.id)).not.toHaveProperty("signingSecret");
  });

  it("reflects an admin plan edit and the usage baseline after a flush", async () => {
    const { app } = await newApp("growth");
    const growth = await harness.db.plan.findUniqueOrThrow({ where: { slug: "growth" } });
    await updatePlan(harness.db, { actor, planId: growth.id, changes: { maxMessagesPerPeriod: 1234 } });
    const before = (await fetchAppState(app.id));
    expect(before?.limits.maxMessagesPerPeriod).toBe(1234);
    await invoke(usageRoute, {
      method: "POST",
      headers: relayAuth(),
      body: usageBatch([usageDelta(app.id, before?.period.startUnix ?? 0, { messagesAccepted: 99, peakConcurrent: 3 })]),
    });
    const after = (await fetchAppState(app.id));
    expect(after?.usage).toMatchObject({ messagesUsed: 99, peakConcurrent: 3 });
  });

  it("marks a pay-as-you-go app's usage as billed from the balance once the free allowance is used up, and tells the relay", async () => {
    const { app } = await newApp("payg");
    const before = (await fetchAppState(app.id));
    expect(before?.billing.usageBilledFromBalance).toBe(false);
    const startUnix = before?.period.startUnix ?? 0;
    // Within the allowance (1,000,000 delivered messages): still free.
    await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: usageBatch([usageDelta(app.id, startUnix, { deliveredMessages: 999_000 })]) });
    expect((await fetchAppState(app.id))?.billing.usageBilledFromBalance).toBe(false);
    await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: usageBatch([usageDelta(app.id, startUnix, { deliveredMessages: 3_000 })]) });
    const after = (await fetchAppState(app.id));
    // 2,000 deliveries over the allowance at 5 per 1,000: billed after the fact, so the balance may dip below zero once.
    expect(after?.billing).toMatchObject({ usageBilledFromBalance: true, balanceMinor: -10 });
    await vi.waitFor(() => expect(harness.relay.planChangeNotices.some((n) => n.appId === app.id && n.kind === "billing")).toBe(true), { timeout: 3 * NOTICE_INTERVAL_MS });
  });
});

describe("usage — happy and error paths", () => {
  it("applies a batch once and acknowledges the retry with applied: false", async () => {
    const { app } = await newApp();
    const snapshotApp = (await fetchAppState(app.id));
    const batch = usageBatch([usageDelta(app.id, snapshotApp?.period.startUnix ?? 0, { messagesAccepted: 10 })]);
    const first = await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: batch });
    const retry = await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: batch });
    const periods = [{ appId: app.id, periodStartUnix: snapshotApp?.period.startUnix ?? 0, messagesUsed: 10 }];
    expect(usageBatchResponseSchema.parse(first.body)).toMatchObject({ applied: true, apps: [{ appId: app.id, balanceMinor: 0 }], periods });
    expect(usageBatchResponseSchema.parse(retry.body)).toMatchObject({ applied: false, periods });
    const period = await harness.db.usagePeriod.findFirstOrThrow({ where: { appId: app.id } });
    expect(Number(period.messagesUsed)).toBe(10);
  });

  it("refuses a malformed batch with 422 naming the field", async () => {
    const res = await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: { batchId: "short", relayId: "r", sentAtUnixMs: 1, apps: [] } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: "invalid_request", field: "batchId" });
    const notJson = await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: "{nope" });
    expect(notJson.status).toBe(400);
  });
});

describe("recharge", () => {
  it("returns the outcome the relay waits for: refused when off, recharged from the stored card when on", async () => {
    const { app } = await newApp();
    const off = await invoke(rechargeRoute, { method: "POST", headers: relayAuth(), body: { appId: app.id, reason: "message" } });
    expect(off.body).toEqual({ recharged: false, balanceMinor: 0, reason: "Auto-recharge is off", asOfUnixMs: expect.any(Number) });
    await setAutoRecharge(harness.db, getPaymentProvider(), {
      actor,
      appId: app.id,
      settings: { enabled: true, thresholdMinor: 100, amountMinor: 1500, cardNumber: "4242424242424242" },
    });
    const on = await invoke(rechargeRoute, { method: "POST", headers: relayAuth(), body: { appId: app.id, reason: "connection" } });
    expect(on.body).toEqual({ recharged: true, balanceMinor: 1500, asOfUnixMs: expect.any(Number) });
    const attempt = await harness.db.paymentAttempt.findFirstOrThrow({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } } } });
    expect(attempt).toMatchObject({ kind: "auto_recharge", status: "succeeded", trigger: "relay:connection" });
  });

  it("answers 404 for an unknown app and 422 for a bad reason", async () => {
    expect((await invoke(rechargeRoute, { method: "POST", headers: relayAuth(), body: { appId: "app_nope", reason: "message" } })).status).toBe(404);
    const bad = await invoke(rechargeRoute, { method: "POST", headers: relayAuth(), body: { appId: "app_x", reason: "because" } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ field: "reason" });
  });
});

describe("security: only the relay secret gets in", () => {
  it("refuses no credentials, a wrong or truncated secret, a session, a customer key and the secret in another scheme", async () => {
    const { user, app } = await newApp();
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    session.user = user;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer " },
      { authorization: `Bearer ${harness.relaySecret.slice(0, -1)}` },
      { authorization: `Bearer ${harness.relaySecret}x` },
      { authorization: `Basic ${harness.relaySecret}` },
      { authorization: harness.relaySecret },
      { authorization: `Bearer ${key.id}:${key.secret}` },
    ];
    for (const headers of attempts) {
      const states = await invoke(appStatesRoute, { method: "POST", headers, body: { appIds: [app.id] } });
      expect(states.status).toBe(401);
      expect(JSON.stringify(states.body)).not.toContain("sk_secret_");
      expect((await invoke(changesRoute, { headers })).status).toBe(401);
      const usage = await invoke(usageRoute, { method: "POST", headers, body: usageBatch([usageDelta(app.id, 0, { messagesAccepted: 1 })]) });
      expect(usage.status).toBe(401);
      const recharge = await invoke(rechargeRoute, { method: "POST", headers, body: { appId: app.id, reason: "message" } });
      expect(recharge.status).toBe(401);
    }
    session.user = null;
    expect(await harness.db.usagePeriod.count({ where: { appId: app.id } })).toBe(0);
  });
});
