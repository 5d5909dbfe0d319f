// The internal relay API: snapshot (ETag/304), usage (exactly once), recharge. Only the relay secret
// gets in — not sessions, not customer keys, not a near-miss secret.
import { PlanDefaults, snapshotSchema, usageBatchResponseSchema, type Snapshot } from "@tollgate/relay/protocol";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as snapshotRoute } from "@/app/api/internal/relay/snapshot/route";
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

async function fetchSnapshot(): Promise<Snapshot> {
  const res = await invoke(snapshotRoute, { headers: relayAuth() });
  expect(res.status).toBe(200);
  return snapshotSchema.parse(res.body);
}

describe("snapshot — happy path", () => {
  it("carries each app's effective limits, billing, period, usage baseline and decrypted signing secrets", async () => {
    const { app } = await newApp("starter");
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const pk = await createApiKey(harness.db, { appId: app.id, kind: "publishable", name: "p", encryptionKey: TEST_ENCRYPTION_KEY, allowedOrigins: ["https://x.test"] });
    await setAppOverride(harness.db, { actor, appId: app.id, changes: { maxConcurrentConnections: 7, controlFrameBurst: 300 } });
    const snapshot = await fetchSnapshot();
    const entry = snapshot.apps.find((a) => a.appId === app.id);
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

  it("answers 304 to a matching If-None-Match, and a new version after any change", async () => {
    const { app } = await newApp("starter");
    const first = await invoke(snapshotRoute, { headers: relayAuth() });
    const etag = first.headers.get("etag");
    expect(etag).toBe(`"${(first.body as { version: string }).version}"`);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const unchanged = await invoke(snapshotRoute, { headers: { ...relayAuth(), "if-none-match": etag ?? "" } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeNull();
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const changed = await invoke(snapshotRoute, { headers: { ...relayAuth(), "if-none-match": etag ?? "" } });
    expect(changed.status).toBe(200);
    await revokeApiKey(harness.db, { actor, appId: app.id, keyId: key.id });
    const afterRevoke = await fetchSnapshot();
    const revoked = afterRevoke.apps.find((a) => a.appId === app.id)?.keys.find((k) => k.keyId === key.id);
    expect(revoked).toMatchObject({ revoked: true });
    expect(revoked).not.toHaveProperty("signingSecret");
  });

  it("keeps a rolled key valid with its expiry, and marks it revoked once the grace period is over", async () => {
    const { app } = await newApp();
    const key = await createApiKey(harness.db, { appId: app.id, kind: "secret", name: "k", encryptionKey: TEST_ENCRYPTION_KEY });
    const { key: next, previous } = await rollApiKey(harness.db, { actor, appId: app.id, keyId: key.id, gracePeriodSec: 3600, encryptionKey: TEST_ENCRYPTION_KEY });
    const during = (await fetchSnapshot()).apps.find((a) => a.appId === app.id)?.keys ?? [];
    expect(during.find((k) => k.keyId === key.id)).toMatchObject({ revoked: false, signingSecret: key.secret, expiresAtUnix: Math.floor(Date.parse(previous.expiresAt ?? "") / 1000) });
    expect(during.find((k) => k.keyId === next.id)).toMatchObject({ revoked: false, signingSecret: next.secret, expiresAtUnix: null });
    await harness.db.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const after = (await fetchSnapshot()).apps.find((a) => a.appId === app.id)?.keys ?? [];
    expect(after.find((k) => k.keyId === key.id)).toMatchObject({ revoked: true });
    expect(after.find((k) => k.keyId === key.id)).not.toHaveProperty("signingSecret");
  });

  it("reflects an admin plan edit and the usage baseline after a flush", async () => {
    const { app } = await newApp("growth");
    const growth = await harness.db.plan.findUniqueOrThrow({ where: { slug: "growth" } });
    await updatePlan(harness.db, { actor, planId: growth.id, changes: { maxMessagesPerPeriod: 1234 } });
    const before = (await fetchSnapshot()).apps.find((a) => a.appId === app.id);
    expect(before?.limits.maxMessagesPerPeriod).toBe(1234);
    await invoke(usageRoute, {
      method: "POST",
      headers: relayAuth(),
      body: usageBatch([usageDelta(app.id, before?.period.startUnix ?? 0, { messagesAccepted: 99, peakConcurrent: 3 })]),
    });
    const after = (await fetchSnapshot()).apps.find((a) => a.appId === app.id);
    expect(after?.usage).toMatchObject({ messagesUsed: 99, peakConcurrent: 3 });
  });

  it("marks a pay-as-you-go app's usage as billed from the balance once the free allowance is used up, and tells the relay", async () => {
    const { app } = await newApp("payg");
    const before = (await fetchSnapshot()).apps.find((a) => a.appId === app.id);
    expect(before?.billing.usageBilledFromBalance).toBe(false);
    const startUnix = before?.period.startUnix ?? 0;
    // Within the allowance (1,000,000 delivered messages): still free.
    await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: usageBatch([usageDelta(app.id, startUnix, { deliveredMessages: 999_000 })]) });
    expect((await fetchSnapshot()).apps.find((a) => a.appId === app.id)?.billing.usageBilledFromBalance).toBe(false);
    await invoke(usageRoute, { method: "POST", headers: relayAuth(), body: usageBatch([usageDelta(app.id, startUnix, { deliveredMessages: 3_000 })]) });
    const after = (await fetchSnapshot()).apps.find((a) => a.appId === app.id);
    // 2,000 deliveries over the allowance at 5 per 1,000: billed after the fact, so the balance may dip below zero once.
    expect(after?.billing).toMatchObject({ usageBilledFromBalance: true, balanceMinor: -10 });
    await vi.waitFor(() => expect(harness.relay.planChangeNotices.some((n) => n.appId === app.id && n.kind === "billing")).toBe(true), { timeout: 3 * NOTICE_INTERVAL_MS });
    // Other plans never need it, whatever they cost.
    expect((await fetchSnapshot()).apps.filter((a) => a.planName !== "Pay as you go").every((a) => !a.billing.usageBilledFromBalance)).toBe(true);
  });
});

describe("usage — happy and error paths", () => {
  it("applies a batch once and acknowledges the retry with applied: false", async () => {
    const { app } = await newApp();
    const snapshotApp = (await fetchSnapshot()).apps.find((a) => a.appId === app.id);
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
    const attempt = await harness.db.paymentAttempt.findFirstOrThrow({ where: { billingAccount: { appId: app.id } } });
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
      const snapshot = await invoke(snapshotRoute, { headers });
      expect(snapshot.status).toBe(401);
      expect(JSON.stringify(snapshot.body)).not.toContain("sk_secret_");
      const usage = await invoke(usageRoute, { method: "POST", headers, body: usageBatch([usageDelta(app.id, 0, { messagesAccepted: 1 })]) });
      expect(usage.status).toBe(401);
      const recharge = await invoke(rechargeRoute, { method: "POST", headers, body: { appId: app.id, reason: "message" } });
      expect(recharge.status).toBe(401);
    }
    session.user = null;
    expect(await harness.db.usagePeriod.count({ where: { appId: app.id } })).toBe(0);
  });
});
