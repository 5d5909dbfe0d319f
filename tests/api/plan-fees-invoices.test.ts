// Plan changes, invoices and the ledger through the real dashboard routes (mocked session only).
import type { LedgerDay } from "@/lib/billing/list-ledger";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DELETE as deleteAppRoute, PATCH as patchAppRoute } from "@/app/api/apps/[appId]/route";
import { GET as ledgerRoute } from "@/app/api/apps/[appId]/billing/ledger/route";
import { GET as billingRoute } from "@/app/api/apps/[appId]/billing/route";
import { PUT as spendControlsRoute } from "@/app/api/apps/[appId]/billing/spend-controls/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { POST as createAppRoute } from "@/app/api/apps/route";
import { GET as invoiceRoute } from "@/app/api/tenants/[tenantId]/invoices/[invoiceId]/route";
import { GET as invoicesRoute } from "@/app/api/tenants/[tenantId]/invoices/route";
import { GET as walletRoute } from "@/app/api/tenants/[tenantId]/wallet/route";
import type { AppView } from "@/lib/apps/app.types";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { InvoiceView } from "@/lib/billing/get-invoice";
import type { TeamWalletSummary } from "@/lib/billing/team-wallet-summary";
import { toUnixSeconds } from "@/lib/periods/billing-period";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";
import { createUser, usageBatch, usageDelta } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await startRouteHarness();
});
afterAll(async () => harness?.stop());

async function newApp(body: Record<string, unknown> = { name: "Paying" }) {
  session.user = await createUser(harness.db);
  const res = await invoke<{ app: AppView }>(createAppRoute, { method: "POST", body });
  return res;
}

async function topUp(appId: string, amountMinor: number) {
  const res = await invoke(topUpRoute, { method: "POST", params: { appId }, body: { amountMinor, cardNumber: "4242424242424242" } });
  expect(res.status).toBe(200);
}

function patchPlan(appId: string, planSlug: string, idempotencyKey?: string) {
  return invoke<{ app: AppView; planChange: { outcome: string; chargedMinor: number; replayed: boolean } }>(patchAppRoute, {
    method: "PATCH",
    params: { appId },
    body: { planSlug },
    headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
  });
}

describe("PATCH /api/apps/:id planSlug", () => {
  it("refuses a paid plan with 402 and the reason when neither balance nor card can pay; the app keeps Free", async () => {
    const { body } = await newApp();
    const res = await patchPlan(body.app.id, "growth");
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ error: "payment_failed", field: "planSlug", message: expect.stringMatching(/Cannot switch to Growth.*no card on file.*Nothing was charged/) });
    const billing = await invoke<{ balanceMinor: number; ledger: unknown[] }>(billingRoute, { params: { appId: body.app.id } });
    expect(billing.body.ledger).toHaveLength(0);
  });

  it("charges the prorated fee and answers what it charged", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 5000);
    const res = await patchPlan(body.app.id, "starter");
    expect(res.status).toBe(200);
    expect(res.body.app.plan.slug).toBe("starter");
    // Seconds after the period start: practically the whole month.
    expect(res.body.planChange).toMatchObject({ outcome: "upgraded", replayed: false });
    expect(res.body.planChange.chargedMinor).toBeGreaterThanOrEqual(2899);
    const billing = await invoke<{ balanceMinor: number; planFee: { monthlyPriceMinor: number; status: string } }>(billingRoute, { params: { appId: body.app.id } });
    expect(billing.body.balanceMinor).toBe(5000 - res.body.planChange.chargedMinor);
    expect(billing.body.planFee).toMatchObject({ monthlyPriceMinor: 2900, status: "active" });
  });

  it("eight concurrent retries with one Idempotency-Key charge once and all answer the same", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 50_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => patchPlan(body.app.id, "growth", "retry-1")));
    expect(results.map((res) => res.status)).toEqual(Array(8).fill(200));
    expect(results.filter((res) => !res.body.planChange.replayed)).toHaveLength(1);
    expect(new Set(results.map((res) => res.body.planChange.chargedMinor)).size).toBe(1);
    const fees = await harness.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: body.app.id } } } }, kind: "plan_fee" } });
    expect(fees).toHaveLength(1);
  });

  it("a plan change asking for overages its new plan does not have is refused whole: 422, nothing charged, plan kept", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 60_000);
    const res = await invoke(patchAppRoute, { method: "PATCH", params: { appId: body.app.id }, body: { planSlug: "unlimited", overagesEnabled: true } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ field: "overagesEnabled", message: expect.stringContaining("Unlimited plan has no overages") });
    const billing = await invoke<{ balanceMinor: number; ledger: Array<{ kind: string }> }>(billingRoute, { params: { appId: body.app.id } });
    expect(billing.body.balanceMinor).toBe(60_000);
    expect(billing.body.ledger.filter((entry) => entry.kind === "plan_fee")).toHaveLength(0);
    expect((await harness.db.app.findUniqueOrThrow({ where: { id: body.app.id }, include: { plan: true } })).plan.slug).toBe("free");
    // To pay-as-you-go with overages: refused the same way, before the switch.
    const payg = await invoke(patchAppRoute, { method: "PATCH", params: { appId: body.app.id }, body: { planSlug: "payg", overagesEnabled: true } });
    expect(payg.status).toBe(422);
    expect((await harness.db.app.findUniqueOrThrow({ where: { id: body.app.id }, include: { plan: true } })).plan.slug).toBe("free");
  });

  it("a downgrade is scheduled for the period end; the app keeps its plan now", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 50_000);
    await patchPlan(body.app.id, "growth");
    const res = await patchPlan(body.app.id, "free");
    expect(res.status).toBe(200);
    expect(res.body.planChange).toMatchObject({ outcome: "scheduled", chargedMinor: 0 });
    expect(res.body.app.plan.slug).toBe("growth");
    const billing = await invoke<{ planFee: { scheduledPlan: { slug: string } | null } }>(billingRoute, { params: { appId: body.app.id } });
    expect(billing.body.planFee.scheduledPlan).toMatchObject({ slug: "free" });
  });

  it("a customer creates an app directly on a paid plan, paid at once from the team's wallet; 402 only when it cannot pay", async () => {
    const refused = await newApp({ name: "Direct", planSlug: "starter" });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error: "payment_failed", field: "planSlug", message: expect.stringContaining("no card on file") });
    const { body } = await newApp();
    await topUp(body.app.id, 5000);
    const created = await invoke<{ app: AppView }>(createAppRoute, { method: "POST", body: { name: "Direct", planSlug: "starter", tenantId: body.app.tenantId } });
    expect(created.status).toBe(201);
    expect(created.body.app.plan.slug).toBe("starter");
    const billing = await invoke<{ balanceMinor: number }>(billingRoute, { params: { appId: created.body.app.id } });
    expect(billing.body.balanceMinor).toBe(5000 - 2900);
  });

  it("a malformed Idempotency-Key is a 422, not a 500", async () => {
    const { body } = await newApp();
    const res = await patchPlan(body.app.id, "free", "has spaces in it");
    expect(res.status).toBe(422);
  });
});

describe("invoices", () => {
  it("list the period's plan fee and usage by component, total matching the ledger to the cent; CSV and printable HTML", async () => {
    const { body } = await newApp({ name: "Invoiced <b>&" });
    const appId = body.app.id;
    await topUp(appId, 20_000);
    await patchPlan(appId, "starter");
    await invoke(patchAppRoute, { method: "PATCH", params: { appId }, body: { overagesEnabled: true } });
    const periodStartUnix = toUnixSeconds(new Date(body.app.period.start));
    // Uneven batches so per-batch rounding would show: 3 × 3,333 overage messages at 10¢/1,000, plus connections at 5¢.
    for (const overageMessages of [3333, 3333, 3333]) {
      await applyUsageBatch(harness.db, usageBatch([usageDelta(appId, periodStartUnix, { messagesAccepted: overageMessages, overageMessages, overageConnections: 7 })]));
    }
    const tenantId = body.app.tenantId;
    const list = await invoke<{ upcoming: InvoiceView; invoices: InvoiceView[] }>(invoicesRoute, { params: { tenantId } });
    expect(list.status).toBe(200);
    expect(list.body.invoices).toHaveLength(0);
    const invoice = list.body.upcoming;
    expect(invoice).toMatchObject({ status: "upcoming", number: null });
    expect(invoice.lines.map((line) => line.description)).toEqual([expect.stringMatching(/^Starter plan for \d+ of \d+ days$/), "Overage messages", "Overage connections"]);
    const byDescription = Object.fromEntries(invoice.lines.map((line) => [line.description, line.amountMinor]));
    expect(byDescription["Overage messages"]).toBe(99); // 9,999 × 10 / 1,000 = 99.99 → 99 (cumulative pricing, not 3 × 33)
    expect(byDescription["Overage connections"]).toBe(105);
    const ledger = await harness.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } } } });
    const chargedByLedger = -ledger.filter((entry) => !["top_up", "auto_recharge", "card_payment", "refund"].includes(entry.kind)).reduce((sum, entry) => sum + entry.amountMinor, 0);
    expect(invoice.totalMinor).toBe(chargedByLedger);
    const account = await harness.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } } });
    expect(account.balanceMinor).toBe(20_000 - invoice.totalMinor);

    // CSV and HTML are not JSON: called without the JSON-reading harness.
    const raw = await invoiceRoute(new NextRequest("http://localhost/?format=csv"), { params: Promise.resolve({ tenantId, invoiceId: invoice.id }) });
    expect(raw.headers.get("content-type")).toContain("text/csv");
    const rows = (await raw.text()).trim().split("\r\n");
    expect(rows.at(-1)).toContain(`total,Total,${invoice.totalMinor}`);
    const html = await invoiceRoute(new NextRequest("http://localhost/?format=html"), { params: Promise.resolve({ tenantId, invoiceId: invoice.id }) });
    const page = await html.text();
    expect(page).toContain("Invoiced &lt;b&gt;&amp;");
    expect(page).toContain(`$${(invoice.totalMinor / 100).toFixed(2)}`);
    // Its one script runs by this answer's nonce: no inline handlers, no 'unsafe-inline' scripts.
    const policy = html.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
    expect(nonce, policy).toBeDefined();
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect([...page.matchAll(/<script\b[^>]*>/g)].map((match) => match[0])).toEqual([`<script nonce="${nonce}">`]);
    expect(page).not.toMatch(/\son[a-z]+=/i);
  });

  it("of a period cut at the spend cap: the usage lines sum to the ledger's usage debits to the cent, no line more than was charged", async () => {
    const { body } = await newApp({ name: "Capped" });
    const appId = body.app.id;
    await topUp(appId, 20_000);
    await patchPlan(appId, "starter");
    await invoke(patchAppRoute, { method: "PATCH", params: { appId }, body: { overagesEnabled: true } });
    const capped = await invoke(spendControlsRoute, { method: "PUT", params: { appId }, body: { monthlySpendCapMinor: 150, autoRechargeMonthlyCeilingMinor: null } });
    expect(capped.status).toBe(200);
    const periodStartUnix = toUnixSeconds(new Date(body.app.period.start));
    // 99 + 35 = 134 charged; then 34 + 35 = 69 more priced, of which the cap leaves 16.
    await applyUsageBatch(harness.db, usageBatch([usageDelta(appId, periodStartUnix, { messagesAccepted: 9999, overageMessages: 9999, overageConnections: 7 })]));
    await applyUsageBatch(harness.db, usageBatch([usageDelta(appId, periodStartUnix, { messagesAccepted: 3333, overageMessages: 3333, overageConnections: 7 })]));
    const debits = await harness.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } }, kind: "overage_debit" }, orderBy: { createdAt: "asc" } });
    expect(debits.map((entry) => entry.amountMinor)).toEqual([-134, -16]);

    const invoice = (await invoke<{ upcoming: InvoiceView }>(invoicesRoute, { params: { tenantId: body.app.tenantId } })).body.upcoming;
    const usageLines = invoice.lines.filter((line) => line.kind === "overage");
    expect(usageLines.every((line) => line.amountMinor > 0)).toBe(true);
    expect(usageLines.reduce((sum, line) => sum + line.amountMinor, 0)).toBe(150);
    // The second debit's 16 split 8 / 8 (largest remainder of 34 : 35).
    expect(Object.fromEntries(usageLines.map((line) => [line.description, line.amountMinor]))).toEqual({ "Overage messages": 107, "Overage connections": 43 });
    const fee = invoice.lines.find((line) => line.kind === "plan_fee")?.amountMinor ?? 0;
    expect(invoice).toMatchObject({ chargesMinor: fee + 150, creditsMinor: 0, totalMinor: fee + 150 });
    for (const entry of debits) {
      const parts = Object.values(entry.breakdown as Record<string, number>);
      expect(parts.reduce((sum, amount) => sum + amount, 0)).toBe(-entry.amountMinor);
    }
  });

  it("another team's invoices are 404", async () => {
    const { body } = await newApp();
    session.user = await createUser(harness.db);
    expect((await invoke(invoicesRoute, { params: { tenantId: body.app.tenantId } })).status).toBe(404);
    expect((await invoke(invoiceRoute, { params: { tenantId: body.app.tenantId, invoiceId: "upcoming" } })).status).toBe(404);
  });
});

describe("ledger", () => {
  it("groups a day's flushes into one row per kind and app of the team's wallet, with paging", async () => {
    const { body } = await newApp();
    const appId = body.app.id;
    await topUp(appId, 20_000);
    await patchPlan(appId, "starter");
    await invoke(patchAppRoute, { method: "PATCH", params: { appId }, body: { overagesEnabled: true } });
    // A second app of the same team (newApp would sign in a new user): its charges draw on the same wallet.
    const second = await invoke<{ app: AppView }>(createAppRoute, { method: "POST", body: { name: "Second" } });
    const secondId = second.body.app.id;
    await patchPlan(secondId, "starter");
    await invoke(patchAppRoute, { method: "PATCH", params: { appId: secondId }, body: { overagesEnabled: true } });
    const periodStartUnix = toUnixSeconds(new Date(body.app.period.start));
    for (let i = 0; i < 12; i++) {
      await applyUsageBatch(harness.db, usageBatch([usageDelta(appId, periodStartUnix, { overageConnections: 1 })]));
    }
    await applyUsageBatch(harness.db, usageBatch([usageDelta(secondId, toUnixSeconds(new Date(second.body.app.period.start)), { overageConnections: 2 })]));
    const res = await invoke<{ days: LedgerDay[]; hasMore: boolean }>(ledgerRoute, { params: { appId: secondId } });
    expect(res.body.hasMore).toBe(false);
    expect(res.body.days).toHaveLength(1);
    const overage = res.body.days[0]?.groups.filter((group) => group.kind === "overage_debit");
    expect(overage).toEqual(
      expect.arrayContaining([
        { kind: "overage_debit", appId, appName: "Paying", count: 12, amountMinor: -60 },
        { kind: "overage_debit", appId: secondId, appName: "Second", count: 1, amountMinor: -10 },
      ]),
    );
    expect(res.body.days[0]?.groups).toContainEqual(expect.objectContaining({ kind: "top_up", count: 1, amountMinor: 20_000 }));

    expect((await invoke(ledgerRoute, { params: { appId }, path: "/?page=0" })).status).toBe(422);

    // The team page's view of the same wallet: one balance, and what each app drew from it this month.
    const wallet = await invoke<{ wallet: TeamWalletSummary }>(walletRoute, { params: { tenantId: body.app.tenantId } });
    expect(wallet.status).toBe(200);
    expect(wallet.body.wallet).toMatchObject({
      balanceMinor: (await invoke<{ balanceMinor: number }>(billingRoute, { params: { appId } })).body.balanceMinor,
      paymentMethod: { last4: "4242" },
      apps: [
        { id: appId, name: "Paying", planName: "Starter", usageChargesMinor: 60 },
        { id: secondId, name: "Second", planName: "Starter", usageChargesMinor: 10 },
      ],
      deletedAppsUsageChargesMinor: 0,
    });
    session.user = await createUser(harness.db);
    expect((await invoke(walletRoute, { params: { tenantId: body.app.tenantId } })).status).toBe(404);
  });
});

describe("DELETE /api/apps/:id with a balance", () => {
  it("deletes the app and leaves the team's balance to the team's other apps", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 5000);
    const deleted = await invoke(deleteAppRoute, { method: "DELETE", params: { appId: body.app.id } });
    expect(deleted.body).toEqual({ id: body.app.id, deleted: true });
    const created = await invoke<{ app: AppView }>(createAppRoute, { method: "POST", body: { name: "next", tenantId: body.app.tenantId } });
    const billing = await invoke<{ balanceMinor: number }>(billingRoute, { params: { appId: created.body.app.id } });
    expect(billing.body.balanceMinor).toBe(5000);
  });
});

describe("reads", () => {
  it("of billing and invoices change nothing, even for an app whose period has turned (renewals are jobs)", async () => {
    const { body } = await newApp();
    await topUp(body.app.id, 10_000);
    expect((await patchPlan(body.app.id, "starter")).status).toBe(200);
    // The period ended a minute ago and no renewal job ran yet.
    const ended = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const started = new Date(ended);
    started.setUTCMonth(started.getUTCMonth() - 1);
    await harness.db.app.update({ where: { id: body.app.id }, data: { billingAnchor: started } });
    await harness.db.appSubscription.update({ where: { appId: body.app.id }, data: { renewedPeriodStart: started, renewsAt: ended } });
    const before = {
      subscription: await harness.db.appSubscription.findUniqueOrThrow({ where: { appId: body.app.id } }),
      ledger: await harness.db.ledgerEntry.count({ where: { billingAccount: { tenant: { apps: { some: { id: body.app.id } } } } } }),
      invoices: await harness.db.invoice.count({ where: { tenantId: body.app.tenantId } }),
    };

    expect((await invoke(billingRoute, { params: { appId: body.app.id } })).status).toBe(200);
    expect((await invoke(invoicesRoute, { params: { tenantId: body.app.tenantId } })).status).toBe(200);

    expect(await harness.db.appSubscription.findUniqueOrThrow({ where: { appId: body.app.id } })).toEqual(before.subscription);
    expect(await harness.db.ledgerEntry.count({ where: { billingAccount: { tenant: { apps: { some: { id: body.app.id } } } } } })).toBe(before.ledger);
    expect(await harness.db.invoice.count({ where: { tenantId: body.app.tenantId } })).toBe(before.invoices);
  });
});
