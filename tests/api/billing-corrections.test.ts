// Admins' credits, adjustments and refunds, and the details printed on invoices, through the real routes
// (mocked session only): who may do what, CSRF as the wrappers refuse it, one movement of money per
// Idempotency-Key, the reason in the customer's ledger, and where each lands on the team's invoices.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as correctionsList, POST as correctionsRoute } from "@/app/api/admin/apps/[appId]/corrections/route";
import { POST as voidRoute } from "@/app/api/admin/invoices/[invoiceId]/void/route";
import { PUT as operatorRoute } from "@/app/api/admin/settings/operator/route";
import { GET as ledgerRoute } from "@/app/api/apps/[appId]/billing/ledger/route";
import { POST as topUpRoute } from "@/app/api/apps/[appId]/billing/top-up/route";
import { GET as billingDetailsGet, PUT as billingDetailsRoute } from "@/app/api/tenants/[tenantId]/billing-details/route";
import { GET as invoiceRoute } from "@/app/api/tenants/[tenantId]/invoices/[invoiceId]/route";
import { GET as invoicesRoute } from "@/app/api/tenants/[tenantId]/invoices/route";
import type { SessionUser } from "@/lib/auth/authenticate";
import type { CorrectionView, RefundableChargeView } from "@/lib/billing/billing-corrections.types";
import type { InvoiceView } from "@/lib/billing/get-invoice";
import { issueTeamInvoices } from "@/lib/billing/issue-invoices";
import type { LedgerDay } from "@/lib/billing/list-ledger";
import { createTestApp, createUser, type TestUser } from "@/tests/helpers/fixtures";
import { invoke, startRouteHarness, type RouteHarness } from "@/tests/helpers/route-harness";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/http/session", () => ({ getSessionUser: async () => session.user }));

let harness: RouteHarness;
let admin: TestUser;
beforeAll(async () => {
  harness = await startRouteHarness();
  admin = await createUser(harness.db, { admin: true });
});
afterAll(async () => harness?.stop());

let keys = 0;
function correct(appId: string, body: Record<string, unknown>, key: string | null = `key-${++keys}-${Date.now()}`, headers: Record<string, string> = {}) {
  session.user = admin;
  return invoke<{ correction: CorrectionView; error?: string; field?: string }>(correctionsRoute, {
    method: "POST",
    params: { appId },
    body,
    headers: { ...(key ? { "idempotency-key": key } : {}), ...headers },
  });
}

/** A team (owner and member) with an app topped up by card. */
async function paidTeam(topUpMinor = 5000) {
  const owner = await createUser(harness.db);
  const member = await createUser(harness.db);
  await harness.db.membership.create({ data: { userId: member.id, tenantId: owner.tenantId, role: "member" } });
  const app = await createTestApp(harness.db, { tenantId: owner.tenantId, name: "Corrected" });
  session.user = owner;
  expect((await invoke(topUpRoute, { method: "POST", params: { appId: app.id }, body: { amountMinor: topUpMinor, cardNumber: "4242424242424242" } })).status).toBe(200);
  return { owner, member, appId: app.id, tenantId: owner.tenantId };
}

async function balanceOf(appId: string) {
  return (await harness.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } } })).balanceMinor;
}

async function upcoming(user: TestUser, tenantId: string) {
  session.user = user;
  return (await invoke<{ upcoming: InvoiceView }>(invoicesRoute, { params: { tenantId } })).body.upcoming;
}

describe("POST /api/admin/apps/:appId/corrections", () => {
  it("credits once per Idempotency-Key, with the reason in the customer's ledger and on the next invoice, audited", async () => {
    const { owner, appId, tenantId } = await paidTeam();
    const body = { kind: "credit", amountMinor: 750, reason: "Outage on 3 December" };
    const answers = await Promise.all(Array.from({ length: 5 }, () => correct(appId, body, "credit-once")));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.body.correction.id)).size).toBe(1);
    expect(answers.filter((answer) => !answer.body.correction.replayed)).toHaveLength(1);
    expect(await balanceOf(appId)).toBe(5750);
    expect(await harness.db.ledgerEntry.count({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } }, kind: "credit" } })).toBe(1);

    session.user = owner;
    const ledger = await invoke<{ days: LedgerDay[] }>(ledgerRoute, { params: { appId } });
    const credit = ledger.body.days[0]?.groups.find((group) => group.kind === "credit");
    expect(credit?.entries).toEqual([{ description: "Credit: Outage on 3 December", amountMinor: 750 }]);
    expect((await upcoming(owner, tenantId)).lines).toContainEqual(expect.objectContaining({ kind: "credit", description: "Credit: Outage on 3 December", amountMinor: -750 }));
    const audit = await harness.db.auditLog.findMany({ where: { targetId: appId, action: "billing.credit" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: admin.id, after: expect.objectContaining({ amountMinor: 750, reason: "Outage on 3 December" }) });

    // The same key for another correction is refused, and moves nothing.
    expect((await correct(appId, { ...body, amountMinor: 751 }, "credit-once")).status).toBe(409);
    expect(await balanceOf(appId)).toBe(5750);
  });

  it("refuses what is not a correction: no key, no reason, zero, unknown kind, a stranger's charge", async () => {
    const { appId } = await paidTeam();
    const other = await paidTeam();
    expect((await correct(appId, { kind: "credit", amountMinor: 100, reason: "Goodwill" }, null)).body).toMatchObject({ error: "invalid_request", field: "Idempotency-Key" });
    expect((await correct(appId, { kind: "credit", amountMinor: 100 })).status).toBe(422);
    expect((await correct(appId, { kind: "credit", amountMinor: 100, reason: "" })).status).toBe(422);
    expect((await correct(appId, { kind: "adjustment", amountMinor: 0, reason: "Nothing" })).status).toBe(422);
    expect((await correct(appId, { kind: "gift", amountMinor: 100, reason: "Goodwill" })).status).toBe(422);
    session.user = admin;
    const charges = await invoke<{ refundableCharges: RefundableChargeView[] }>(correctionsList, { params: { appId: other.appId } });
    const strangersCharge = charges.body.refundableCharges[0]?.paymentAttemptId ?? "";
    expect((await correct(appId, { kind: "refund", amountMinor: 100, reason: "Wrong app", paymentAttemptId: strangersCharge })).status).toBe(404);
    expect((await correct("app_missing", { kind: "credit", amountMinor: 100, reason: "Goodwill" })).status).toBe(404);
    expect(await balanceOf(appId)).toBe(5000);
  });

  it("is for platform admins only (owners and members get 404), and a cross-site request is refused", async () => {
    const { owner, member, appId } = await paidTeam();
    for (const user of [owner, member]) {
      session.user = user;
      const res = await invoke(correctionsRoute, { method: "POST", params: { appId }, body: { kind: "credit", amountMinor: 100, reason: "Self-service" }, headers: { "idempotency-key": `self-${user.id}` } });
      expect(res.status).toBe(404);
    }
    const crossSite = await correct(appId, { kind: "credit", amountMinor: 100, reason: "Forged" }, "forged", { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatchObject({ error: "cross_site_request" });
    expect(await balanceOf(appId)).toBe(5000);
  });

  it("adjusts either way; the next invoice lists the adjustment as a charge or a credit", async () => {
    const { owner, appId, tenantId } = await paidTeam();
    expect((await correct(appId, { kind: "adjustment", amountMinor: -1200, reason: "Usage not billed in November" })).status).toBe(200);
    expect(await balanceOf(appId)).toBe(3800);
    const invoice = await upcoming(owner, tenantId);
    expect(invoice.lines).toContainEqual(expect.objectContaining({ kind: "adjustment", description: "Adjustment: Usage not billed in November", amountMinor: 1200 }));
    expect(invoice.totalMinor).toBe(1200);
  });

  it("refunds a card charge through the provider, at most what the charge has left, once per key", async () => {
    const { owner, appId } = await paidTeam(5000);
    session.user = admin;
    const [charge] = (await invoke<{ refundableCharges: RefundableChargeView[] }>(correctionsList, { params: { appId } })).body.refundableCharges;
    if (!charge) throw new Error("no refundable charge");
    const refund = { kind: "refund", amountMinor: 2000, reason: "Top-up made by mistake", paymentAttemptId: charge.paymentAttemptId };
    const answers = await Promise.all([correct(appId, refund, "refund-1"), correct(appId, refund, "refund-1"), correct(appId, refund, "refund-1")]);
    expect(answers.map((answer) => answer.body.correction?.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(await balanceOf(appId)).toBe(3000);
    const refunds = await harness.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: appId } } } }, kind: "refund" } });
    expect(refunds).toEqual([expect.objectContaining({ amountMinor: -2000, description: "Refund to the card ending 4242: Top-up made by mistake", reference: expect.stringMatching(/^refund:re_test_/) })]);

    const tooMuch = await correct(appId, { ...refund, amountMinor: 3001 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ field: "amountMinor", message: "$30.00 of this charge is left to refund" });
    expect((await correct(appId, { ...refund, amountMinor: 3000 })).status).toBe(200);
    session.user = admin;
    expect((await invoke<{ refundableCharges: RefundableChargeView[] }>(correctionsList, { params: { appId } })).body.refundableCharges).toEqual([]);
    // A refund is money back to the card: listed with the payments, not as a charge or credit.
    const invoice = await upcoming(owner, owner.tenantId);
    expect(invoice.payments.map((payment) => payment.amountMinor)).toEqual([5000, -2000, -3000]);
    expect(invoice.lines).toEqual([]);
  });

  it("credits an issued invoice as a numbered credit note, never more than the invoice's total", async () => {
    const { owner, appId, tenantId } = await paidTeam();
    expect((await correct(appId, { kind: "adjustment", amountMinor: -900, reason: "Support hours" })).status).toBe(200);
    const nextMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 2));
    const [number] = await issueTeamInvoices(harness.db, { tenantId, now: nextMonth });
    const invoice = await harness.db.invoice.findUniqueOrThrow({ where: { number } });
    expect(invoice.totalMinor).toBe(900);

    const over = await correct(appId, { kind: "credit", amountMinor: 901, reason: "Too much", invoiceId: invoice.id });
    expect(over.status).toBe(422);
    const noted = await correct(appId, { kind: "credit", amountMinor: 400, reason: "Support hours overbilled", invoiceId: invoice.id });
    expect(noted.body.correction.creditNoteNumber).toMatch(/^CN-\d{6}$/);
    expect((await correct(appId, { kind: "credit", amountMinor: 501, reason: "Again", invoiceId: invoice.id })).status).toBe(422);

    session.user = owner;
    const list = await invoke<{ upcoming: InvoiceView; invoices: InvoiceView[] }>(invoicesRoute, { params: { tenantId } });
    const creditNote = list.body.invoices.find((candidate) => candidate.kind === "credit_note");
    expect(creditNote).toMatchObject({ number: noted.body.correction.creditNoteNumber, correctsNumber: number, totalMinor: -400 });
    expect(list.body.upcoming.lines).toEqual([]);
    const pdf = await invoke<string>(invoiceRoute, { params: { tenantId, invoiceId: creditNote?.id ?? "" }, path: "/?format=pdf" });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("content-disposition")).toBe(`attachment; filename="${creditNote?.number}.pdf"`);
  });
});

describe("billing details and operator details", () => {
  it("the team's: members read them, only owners change them, and invoices issued later carry them", async () => {
    const { owner, member, tenantId } = await paidTeam();
    const details = { name: "Acme Ltd", address: "1 Main St\nSpringfield", taxId: "US-99", email: "ap@acme.test" };
    session.user = member;
    expect((await invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: details })).status).toBe(403);
    expect((await invoke(billingDetailsGet, { params: { tenantId } })).status).toBe(200);
    session.user = owner;
    expect((await invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: { ...details, email: "not an email" } })).status).toBe(422);
    expect((await invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: details })).body).toEqual({ billingDetails: details });
    expect((await upcoming(member, tenantId)).buyer).toEqual(details);
    session.user = await createUser(harness.db);
    expect((await invoke(billingDetailsRoute, { method: "PUT", params: { tenantId }, body: details })).status).toBe(404);
  });

  it("the operator's: platform admins only, a name required, audited", async () => {
    const settings = { name: "Operator Inc", address: "9 Ops Way", taxId: "OP-1", email: "billing@ops.test", paymentTermsDays: 21 };
    session.user = await createUser(harness.db);
    expect((await invoke(operatorRoute, { method: "PUT", body: settings })).status).toBe(404);
    session.user = admin;
    expect((await invoke(operatorRoute, { method: "PUT", body: { ...settings, name: "" } })).status).toBe(422);
    expect((await invoke(operatorRoute, { method: "PUT", body: settings })).body).toEqual({ operator: settings });
    expect(await harness.db.auditLog.count({ where: { action: "billing.operator_details", actorId: admin.id } })).toBe(1);
    const { owner, tenantId } = await paidTeam();
    expect((await upcoming(owner, tenantId)).seller).toEqual({ name: "Operator Inc", address: "9 Ops Way", taxId: "OP-1", email: "billing@ops.test" });
  });
});

describe("POST /api/admin/invoices/:invoiceId/void", () => {
  it("voids an issued invoice with its reason, keeps its number, and the month is issued again with the same lines under the next number", async () => {
    const { owner, appId, tenantId } = await paidTeam();
    expect((await correct(appId, { kind: "adjustment", amountMinor: -600, reason: "Setup fee" })).status).toBe(200);
    const nextMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 2));
    const [number] = await issueTeamInvoices(harness.db, { tenantId, now: nextMonth });
    const issued = await harness.db.invoice.findUniqueOrThrow({ where: { number } });

    session.user = owner;
    expect((await invoke(voidRoute, { method: "POST", params: { invoiceId: issued.id }, body: { reason: "Wrong buyer address" } })).status).toBe(404);
    session.user = admin;
    expect((await invoke(voidRoute, { method: "POST", params: { invoiceId: issued.id }, body: {} })).status).toBe(422);
    expect((await invoke(voidRoute, { method: "POST", params: { invoiceId: issued.id }, body: { reason: "Wrong buyer address" } })).status).toBe(200);
    expect((await invoke(voidRoute, { method: "POST", params: { invoiceId: issued.id }, body: { reason: "Again" } })).status).toBe(409);
    expect(await harness.db.auditLog.count({ where: { action: "billing.invoice_void", targetId: tenantId } })).toBe(1);

    const [reissued] = await issueTeamInvoices(harness.db, { tenantId, now: nextMonth });
    expect(Number(reissued?.slice(4))).toBeGreaterThan(Number(number?.slice(4)));
    session.user = owner;
    const list = (await invoke<{ invoices: InvoiceView[] }>(invoicesRoute, { params: { tenantId } })).body.invoices;
    expect(list.map((invoice) => [invoice.number, invoice.status, invoice.totalMinor])).toEqual([
      [reissued, "paid", 600],
      [number, "void", 600],
    ].sort((a, b) => String(b[0]).localeCompare(String(a[0]))));
    expect(list.find((invoice) => invoice.number === number)?.voidReason).toBe("Wrong buyer address");
  });
});
