// Team invoices: what issuing writes (numbers, lines per app and kind, totals against the ledger, the
// parties, dates, status), that numbers stay gapless under concurrent issuers and rollbacks, that every
// ledger entry lands on exactly one invoice, and the PDF's text as a PDF parser reads it.
import path from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerEntryKind } from "@/lib/generated/prisma/client";
import { createTestApp, createUser, seedPlans } from "@/tests/helpers/fixtures";
import { createTestDatabase, type TestDatabase } from "@/tests/helpers/test-database";
import { getInvoice, getUpcomingInvoice } from "./get-invoice";
import { updateBillingDetails, updateOperatorSettings } from "./invoice-parties";
import { invoicePdf } from "./invoice-pdf";
import { issueDueInvoices, issueTeamInvoices, nextDocumentNumber } from "./issue-invoices";
import { postLedgerEntry } from "./post-ledger-entry";

let database: TestDatabase;
const admin = { id: null, email: "ops@tollgate.test" };
const DECEMBER = new Date(Date.UTC(2026, 11, 10, 12));
const IN_JANUARY = new Date(Date.UTC(2027, 0, 2, 1));
const IN_FEBRUARY = new Date(Date.UTC(2027, 1, 2, 1));
const PAYMENT_KINDS = ["top_up", "auto_recharge", "card_payment", "refund"];

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlans(database.db);
  await updateOperatorSettings(database.db, {
    actor: admin,
    settings: { name: "Tollgate Operator Ltd", address: "1 Relay Road\nPortsmouth", taxId: "GB123456789", email: "billing@operator.test", paymentTermsDays: 30 },
  });
});
afterAll(async () => database?.drop());

async function post(appId: string, kind: LedgerEntryKind, amountMinor: number, options: { at?: Date; description?: string; breakdown?: Record<string, number> } = {}) {
  const account = await database.db.billingAccount.findFirstOrThrow({ where: { tenant: { apps: { some: { id: appId } } } } });
  const entry = await database.db.$transaction((tx) =>
    // Money moved between a card and the team's wallet is the team's; charges and credits are an app's.
    postLedgerEntry(tx, { billingAccountId: account.id, appId: PAYMENT_KINDS.includes(kind) ? null : appId, kind, amountMinor, description: options.description ?? kind, breakdown: options.breakdown }),
  );
  return database.db.ledgerEntry.update({ where: { id: entry.id }, data: { createdAt: options.at ?? DECEMBER } });
}

/** A team with two apps and a month of activity: fees, overage, pay-as-you-go usage, a credit, payments. */
async function teamWithDecember() {
  const owner = await createUser(database.db);
  const chat = await createTestApp(database.db, { tenantId: owner.tenantId, name: "Chat" });
  const feed = await createTestApp(database.db, { tenantId: owner.tenantId, name: "Feed" });
  await post(chat.id, "top_up", 10_000, { description: "Top-up with card ending 4242" });
  await post(chat.id, "plan_fee", -2900, { description: "Starter plan fee" });
  await post(chat.id, "overage_debit", -134, { breakdown: { overageMessagesMinor: 99, overageConnectionsMinor: 35 } });
  await post(chat.id, "overage_debit", -16, { breakdown: { overageMessagesMinor: 8, overageConnectionsMinor: 8 } });
  await post(feed.id, "top_up", 500, { description: "Top-up with card ending 4242" });
  await post(feed.id, "overage_debit", -250, { breakdown: { connectionMinutesMinor: 200, egressMinor: 50 } });
  await post(feed.id, "credit", 100, { description: "Credit: outage on the 3rd" });
  return { owner, chat, feed };
}

async function invoicesOf(tenantId: string) {
  return database.db.invoice.findMany({ where: { tenantId }, orderBy: { number: "asc" } });
}

describe("issuing", () => {
  it("issues one numbered invoice per team and closed month, a line per app and kind, totals the ledger's to the cent", async () => {
    const { owner, chat, feed } = await teamWithDecember();
    await updateBillingDetails(database.db, { actor: { id: owner.id }, tenantId: owner.tenantId, details: { name: "Acme Ltd", address: "2 Buyer St", taxId: "DE999", email: "ap@acme.test" } });
    // The month is still running: nothing is issued, the upcoming invoice shows it all.
    expect(await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: new Date(Date.UTC(2026, 11, 31, 23)) })).toEqual([]);
    const upcoming = await getUpcomingInvoice(database.db, { tenantId: owner.tenantId });
    expect(upcoming).toMatchObject({ number: null, status: "upcoming", totalMinor: 2900 + 150 + 250 - 100 });

    const [number] = await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY });
    expect(number).toMatch(/^INV-\d{6}$/);
    const [row] = await invoicesOf(owner.tenantId);
    if (!row) throw new Error("no invoice issued");
    const invoice = await getInvoice(database.db, { tenantId: owner.tenantId, invoiceId: row.id });
    expect(invoice).toMatchObject({
      number,
      kind: "invoice",
      periodStart: "2026-12-01T00:00:00.000Z",
      periodEnd: "2027-01-01T00:00:00.000Z",
      issuedAt: IN_JANUARY.toISOString(),
      dueAt: new Date(IN_JANUARY.getTime() + 30 * 86_400_000).toISOString(),
      status: "paid",
      seller: { name: "Tollgate Operator Ltd", address: "1 Relay Road\nPortsmouth", taxId: "GB123456789", email: "billing@operator.test" },
      buyer: { name: "Acme Ltd", address: "2 Buyer St", taxId: "DE999", email: "ap@acme.test" },
    });
    expect(invoice.lines.map((line) => [line.appName, line.kind, line.description, line.amountMinor])).toEqual([
      ["Chat", "plan_fee", "Starter plan fee", 2900],
      ["Chat", "overage", "Overage messages", 107],
      ["Chat", "overage", "Overage connections", 43],
      ["Feed", "usage", "Pay-as-you-go connection-minutes beyond the free allowance", 200],
      ["Feed", "usage", "Pay-as-you-go egress beyond the free allowance", 50],
      ["Feed", "credit", "Credit: outage on the 3rd", -100],
    ]);
    // Top-ups pay into the team's wallet, not an app.
    expect(invoice.payments.map((payment) => [payment.appId, payment.appName, payment.amountMinor])).toEqual([
      [null, "Team wallet", 10_000],
      [null, "Team wallet", 500],
    ]);
    const ledger = await database.db.ledgerEntry.findMany({ where: { billingAccount: { tenant: { apps: { some: { id: { in: [chat.id, feed.id] } } } } } } });
    const chargedByLedger = -ledger.filter((entry) => !PAYMENT_KINDS.includes(entry.kind)).reduce((sum, entry) => sum + entry.amountMinor, 0);
    expect(invoice).toMatchObject({ chargesMinor: 3300, creditsMinor: 100, totalMinor: chargedByLedger });
    expect(ledger.every((entry) => entry.invoiceId === row.id)).toBe(true);

    // Issued is issued: later edits of either party's details, and more runs of the job, change nothing.
    await updateBillingDetails(database.db, { actor: { id: owner.id }, tenantId: owner.tenantId, details: { name: "Renamed", address: "", taxId: "", email: "" } });
    expect(await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY })).toEqual([]);
    expect(await getInvoice(database.db, { tenantId: owner.tenantId, invoiceId: row.id })).toEqual(invoice);
    expect(await invoicesOf(owner.tenantId)).toHaveLength(1);
  });

  it("puts an entry that lands after its month was invoiced on the next invoice, so every entry is on exactly one", async () => {
    const { owner, chat } = await teamWithDecember();
    await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY });
    // A usage flush dated December commits after December's invoice was issued.
    await post(chat.id, "overage_debit", -77, { at: new Date(Date.UTC(2026, 11, 31, 23, 59)), breakdown: { overageMessagesMinor: 77 } });
    await post(chat.id, "plan_fee", -2900, { at: new Date(Date.UTC(2027, 0, 5)), description: "Starter plan fee" });
    expect((await getUpcomingInvoice(database.db, { tenantId: owner.tenantId })).totalMinor).toBe(2977);
    await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_FEBRUARY });
    const [december, january] = await invoicesOf(owner.tenantId);
    expect(january?.periodStart.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(january?.totalMinor).toBe(2977);
    expect((await getUpcomingInvoice(database.db, { tenantId: owner.tenantId })).lines).toEqual([]);
    const ledgerCharges = await database.db.ledgerEntry.aggregate({ where: { billingAccount: { tenantId: owner.tenantId }, kind: { notIn: ["top_up", "auto_recharge", "card_payment", "refund"] } }, _sum: { amountMinor: true } });
    expect((december?.totalMinor ?? 0) + (january?.totalMinor ?? 0)).toBe(-(ledgerCharges._sum.amountMinor ?? 0));
    expect(await database.db.ledgerEntry.count({ where: { billingAccount: { tenantId: owner.tenantId }, invoiceId: null } })).toBe(0);
  });

  it("is open with the amount due while the team owes money, and the job marks it paid once it owes nothing", async () => {
    const owner = await createUser(database.db);
    const app = await createTestApp(database.db, { tenantId: owner.tenantId, name: "Overdrawn" });
    await post(app.id, "overage_debit", -300, { breakdown: { overageMessagesMinor: 300 } });
    await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY });
    const [issued] = await invoicesOf(owner.tenantId);
    expect(issued).toMatchObject({ status: "open", amountDueMinor: 300, paidAt: null });
    await issueDueInvoices(database.db, { now: IN_JANUARY });
    expect((await invoicesOf(owner.tenantId))[0]?.status).toBe("open");
    await post(app.id, "top_up", 1000, { at: IN_JANUARY });
    await issueDueInvoices(database.db, { now: IN_JANUARY });
    expect((await invoicesOf(owner.tenantId))[0]).toMatchObject({ status: "paid", paidAt: IN_JANUARY });
  });
});

describe("numbers", () => {
  it("stay gapless and unique with concurrent issuers, one invoice per team and month however many jobs run", async () => {
    const teams = await Promise.all(Array.from({ length: 8 }, () => teamWithDecember()));
    await Promise.all([
      issueDueInvoices(database.db, { now: IN_JANUARY }),
      issueDueInvoices(database.db, { now: IN_JANUARY }),
      ...teams.map(({ owner }) => issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY })),
    ]);
    for (const { owner } of teams) expect(await invoicesOf(owner.tenantId)).toHaveLength(1);
    const numbers = (await database.db.invoice.findMany({ where: { kind: "invoice" }, select: { number: true } })).map((row) => Number(row.number.slice(4))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index + 1));
  });

  it("given back when the issuing transaction rolls back (a sequence would leave a gap)", async () => {
    const before = await database.db.documentCounter.findUnique({ where: { series: "invoice" } });
    await expect(
      database.db.$transaction(async (tx) => {
        await nextDocumentNumber(tx, "invoice");
        throw new Error("issuing failed half-way");
      }),
    ).rejects.toThrow("half-way");
    const { owner } = await teamWithDecember();
    const [number] = await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY });
    expect(number).toBe(`INV-${String((before?.lastNumber ?? 0) + 1).padStart(6, "0")}`);
  });
});

async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdf = await getDocument({ data: bytes, standardFontDataUrl: path.join(process.cwd(), "node_modules/pdfjs-dist/standard_fonts/") }).promise;
  const pages: string[] = [];
  for (let index = 1; index <= pdf.numPages; index++) {
    const content = await (await pdf.getPage(index)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str : "")).join(" "));
  }
  return pages.join("\n");
}

describe("the PDF", () => {
  it("reads back with the number, both parties, each app's lines and the totals", async () => {
    const { owner } = await teamWithDecember();
    await updateBillingDetails(database.db, { actor: { id: owner.id }, tenantId: owner.tenantId, details: { name: "Pdf Buyer GmbH", address: "Hauptstr. 5", taxId: "DE123", email: "" } });
    const [number] = await issueTeamInvoices(database.db, { tenantId: owner.tenantId, now: IN_JANUARY });
    const row = await database.db.invoice.findUniqueOrThrow({ where: { number } });
    const bytes = await invoicePdf(await getInvoice(database.db, { tenantId: owner.tenantId, invoiceId: row.id }));
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe("%PDF-");
    const text = await pdfText(bytes);
    expect(text).toContain(`Invoice ${number}`);
    expect(text).toContain("Tollgate Operator Ltd");
    expect(text).toContain("GB123456789");
    expect(text).toContain("Pdf Buyer GmbH");
    expect(text).toContain("Chat");
    expect(text).toContain("Feed");
    expect(text).toContain("Starter plan fee");
    expect(text).toMatch(/Total\s+\$32\.00/);
    expect(text).toMatch(/Credits\s+-\$1\.00/);
    expect(text).toContain("Due:");
  });
});
