// Export formats of an invoice: CSV (one row per line) and a standalone printable HTML page. Every value
// from the database is escaped: app names and descriptions are customer-controlled.
import type { InvoiceView } from "./get-invoice";
import type { PartyDetails } from "./invoice-parties.types";

export function formatMinor(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  return `${sign}$${(Math.abs(minor) / 100).toFixed(2)}`;
}

/** RFC 4180 field; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula. */
export function csvField(value: string | number): string {
  const text = String(value);
  const safe = /^[=+\-@]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRows(rows: (string | number)[][]): string {
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export function invoiceCsv(invoice: InvoiceView): string {
  const number = invoice.number ?? "upcoming";
  const head = [number, invoice.kind, invoice.periodStart, invoice.periodEnd, invoice.issuedAt ?? "", invoice.dueAt ?? "", invoice.status];
  return csvRows([
    ["number", "document", "period_start", "period_end", "issued_at", "due_at", "status", "app", "app_name", "kind", "description", "amount_minor", "amount"],
    ...invoice.lines.map((line) => [...head, line.appId ?? "", line.appName, line.kind, line.description, line.amountMinor, (line.amountMinor / 100).toFixed(2)]),
    [...head, "", "", "total", "Total", invoice.totalMinor, (invoice.totalMinor / 100).toFixed(2)],
  ]);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char);
}

export function invoiceDay(iso: string): string {
  return new Date(iso).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
}

export const invoiceStatusLabel: Record<InvoiceView["status"], string> = { upcoming: "Upcoming (month running)", open: "Open", paid: "Paid", void: "Void" };

/** "Invoice INV-000012", "Credit note CN-000003", "Upcoming invoice". */
export function invoiceTitle(invoice: Pick<InvoiceView, "kind" | "number">): string {
  if (!invoice.number) return "Upcoming invoice";
  return `${invoice.kind === "credit_note" ? "Credit note" : "Invoice"} ${invoice.number}`;
}

/** The period's last day: periods end at midnight, exclusive. */
export function invoicePeriodText(invoice: Pick<InvoiceView, "periodStart" | "periodEnd">): string {
  return `${invoiceDay(invoice.periodStart)} – ${invoiceDay(new Date(new Date(invoice.periodEnd).getTime() - 1).toISOString())}`;
}

export function partyLines(party: PartyDetails): string[] {
  return [party.name, ...party.address.split(/\r?\n/), party.taxId ? `Tax id: ${party.taxId}` : "", party.email].filter((line) => line.trim() !== "");
}

/**
 * The printable page; `scriptNonce` is the nonce its answer's Content-Security-Policy allows (the page's
 * one script wires the Print button: an inline onclick would need 'unsafe-inline').
 */
export function invoiceHtml(invoice: InvoiceView, scriptNonce: string): string {
  const party = (details: PartyDetails) => partyLines(details).map(escapeHtml).join("<br>");
  const rows = invoice.lines
    .map((line) => `<tr><td>${escapeHtml(line.appName)}</td><td>${escapeHtml(line.description)}</td><td class="num">${formatMinor(line.amountMinor)}</td></tr>`)
    .join("");
  const payments = invoice.payments
    .map((payment) => `<tr><td>${escapeHtml(invoiceDay(payment.at))}</td><td>${escapeHtml(payment.appName)}</td><td>${escapeHtml(payment.description)}</td><td class="num">${formatMinor(payment.amountMinor)}</td></tr>`)
    .join("");
  const dates = [
    invoice.issuedAt ? `issued ${escapeHtml(invoiceDay(invoice.issuedAt))}` : "",
    invoice.dueAt && invoice.kind === "invoice" ? `due ${escapeHtml(invoiceDay(invoice.dueAt))}` : "",
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(invoiceTitle(invoice))}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;color:#111;max-width:760px;margin:2rem auto;padding:0 1rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:700;border-top:2px solid #111}
.parties{display:flex;gap:2rem}.parties div{flex:1}.muted{color:#555}@media print{.no-print{display:none}body{margin:0}}
</style></head><body>
<p class="no-print"><button id="print" type="button">Print</button></p>
<h1>${escapeHtml(invoiceTitle(invoice))}</h1>
<p>Period ${escapeHtml(invoicePeriodText(invoice))}${dates.length ? ` · ${dates.join(" · ")}` : ""}<br>
Status: <strong>${invoiceStatusLabel[invoice.status]}</strong>${invoice.correctsNumber ? ` · corrects invoice ${escapeHtml(invoice.correctsNumber)}` : ""}${
    invoice.voidReason ? ` · ${escapeHtml(invoice.voidReason)}` : ""
  }</p>
<div class="parties"><div><h2>From</h2><p>${party(invoice.seller)}</p></div><div><h2>Bill to</h2><p>${party(invoice.buyer)}</p></div></div>
<table aria-label="Invoice lines"><thead><tr><th>App</th><th>Description</th><th class="num">Amount</th></tr></thead>
<tbody>${rows || '<tr><td colspan="3" class="muted">No charges</td></tr>'}</tbody>
<tfoot><tr><td colspan="2">Total</td><td class="num">${formatMinor(invoice.totalMinor)}</td></tr>${
    invoice.amountDueMinor > 0 ? `<tr><td colspan="2">Amount due</td><td class="num">${formatMinor(invoice.amountDueMinor)}</td></tr>` : ""
  }</tfoot></table>
<h2>Payments and refunds</h2>
<table aria-label="Payments"><tbody>${payments || '<tr><td class="muted">None</td></tr>'}</tbody></table>
<p class="muted">Amounts in USD. Charges are taken from the prepaid balance (or the card on file for plan fees) as they occur.</p>
<script nonce="${escapeHtml(scriptNonce)}">document.getElementById("print").addEventListener("click",function(){window.print()})</script>
</body></html>`;
}
