// Clock-driven work runs on the job queue: two `npm run start:worker` processes against one database
// renew an app exactly once at its period end, with no relay polling and nobody reading anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changePlan } from "@/lib/billing/change-plan";
import { TestPaymentProvider } from "@/lib/billing/payment-provider";
import { setAutoRecharge } from "@/lib/billing/set-auto-recharge";
import { addMonthsUtc } from "@/lib/periods/billing-period";
import { createTestApp, createUser, seedPlans } from "@/tests/helpers/fixtures";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { waitFor } from "@/tests/helpers/wait-for";
import { workerProcesses } from "@/tests/helpers/worker-processes";
import { cleanupExpiredLinks } from "./cleanup-expired";

const actor = { id: null };
let database: TestDatabase;
const workers = workerProcesses();

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
});
afterAll(async () => {
  await workers.stopAll();
  await database?.drop();
});

describe("the job queue", () => {
  it("renews an app at its period end exactly once with two worker processes, no relay and no reads", async () => {
    const user = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: user.tenantId, planSlug: "free" });
    const provider = new TestPaymentProvider();
    await setAutoRecharge(database.db, provider, { actor, appId: app.id, settings: { enabled: false, thresholdMinor: 0, amountMinor: 1000, cardNumber: "4242424242424242" } });
    await changePlan(database.db, provider, { actor, appId: app.id, planSlug: "starter" });
    // Move the app's billing period so that it ends 6 s from now (periods are whole seconds).
    const periodEnd = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
    const periodStart = addMonthsUtc(periodEnd, -1);
    await database.db.app.update({ where: { id: app.id }, data: { billingAnchor: periodStart } });
    await database.db.appSubscription.update({ where: { appId: app.id }, data: { renewedPeriodStart: periodStart, renewsAt: periodEnd } });

    workers.start(database.url);
    workers.start(database.url);
    const subscriptionOf = () => database.db.appSubscription.findUniqueOrThrow({ where: { appId: app.id } });
    await waitFor("the renewal", async () => (await subscriptionOf()).renewedPeriodStart.getTime() === periodEnd.getTime(), 40_000, 250);
    const renewed = await subscriptionOf();

    expect(renewed).toMatchObject({ status: "active", renewsAt: addMonthsUtc(periodEnd, 1) });
    expect(Date.now()).toBeGreaterThanOrEqual(periodEnd.getTime());
    // Both workers had the chance to run it; it was charged once.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const fees = await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: app.id } } } }, kind: "plan_fee", periodStart: periodEnd } });
    expect(fees).toHaveLength(1);
    expect(fees[0]?.amountMinor).toBe(-2900);
    const audits = await database.db.auditLog.count({ where: { targetId: app.id, action: "billing.renewal" } });
    expect(audits).toBe(1);
  }, 90_000);

  it("cleans up reset links a day past expiry and invitations 30 days past expiry, and nothing newer", async () => {
    const user = await createUser(database.db);
    const now = new Date();
    const day = 86_400_000;
    await database.db.passwordResetToken.createMany({
      data: [
        { userId: user.id, tokenHash: `old-${user.id}`, expiresAt: new Date(now.getTime() - 2 * day) },
        { userId: user.id, tokenHash: `recent-${user.id}`, expiresAt: new Date(now.getTime() - day / 2) },
      ],
    });
    await database.db.invitation.createMany({
      data: [
        { tenantId: user.tenantId, tokenHash: `inv-old-${user.id}`, expiresAt: new Date(now.getTime() - 31 * day) },
        { tenantId: user.tenantId, tokenHash: `inv-recent-${user.id}`, expiresAt: new Date(now.getTime() - 2 * day) },
        { tenantId: user.tenantId, tokenHash: `inv-accepted-${user.id}`, expiresAt: new Date(now.getTime() - 31 * day), acceptedAt: new Date(now.getTime() - 40 * day) },
      ],
    });

    expect(await cleanupExpiredLinks(database.db, now)).toEqual({ resetLinks: 1, invitations: 1 });
    const left = await database.db.invitation.findMany({ where: { tenantId: user.tenantId }, select: { tokenHash: true } });
    expect(left.map((row) => row.tokenHash).sort()).toEqual([`inv-accepted-${user.id}`, `inv-recent-${user.id}`]);
    expect(await database.db.passwordResetToken.count({ where: { userId: user.id } })).toBe(1);
  });
});
