// Export formats of an invoice: CSV (one row per line) and a standalone printable HTML page. Every value
// from the database is escaped: app names and descriptions are customer-controlled.
import type { InvoiceView } from "./get-invoice";

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
  return csvRows([
    ["invoice", "app", "period_start", "period_end", "status", "kind", "description", "amount_minor", "amount"],
    ...invoice.lines.map((line) => [invoice.id, invoice.appId, invoice.periodStart, invoice.periodEnd, invoice.status, line.kind, line.description, line.amountMinor, (line.amountMinor / 100).toFixed(2)]),
    [invoice.id, invoice.appId, invoice.periodStart, invoice.periodEnd, invoice.status, "total", "Total", invoice.totalMinor, (invoice.totalMinor / 100).toFixed(2)],
  ]);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char);
}

function day(iso: string): string {
  return new Date(iso).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
}

const statusLabel: Record<InvoiceView["status"], string> = { draft: "Draft (period running)", issued: "Issued", paid: "Paid", past_due: "Past due" };

/**
 * The printable page; `scriptNonce` is the nonce its answer's Content-Security-Policy allows (the page's
 * one script wires the Print button: an inline onclick would need 'unsafe-inline').
 */
export function invoiceHtml(invoice: InvoiceView, scriptNonce: string): string {
  const rows = invoice.lines
    .map((line) => `<tr><td>${escapeHtml(line.description)}</td><td class="num">${formatMinor(line.amountMinor)}</td></tr>`)
    .join("");
  const payments = invoice.payments
    .map((payment) => `<tr><td>${escapeHtml(day(payment.at))}</td><td>${escapeHtml(payment.description)}</td><td class="num">${formatMinor(payment.amountMinor)}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice ${escapeHtml(invoice.id)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;color:#111;max-width:720px;margin:2rem auto;padding:0 1rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:700;border-top:2px solid #111}
.muted{color:#555}@media print{.no-print{display:none}body{margin:0}}
</style></head><body>
<p class="no-print"><button id="print" type="button">Print</button></p>
<h1>Tollgate invoice</h1>
<p><strong>${escapeHtml(invoice.appName)}</strong> <span class="muted">(${escapeHtml(invoice.appId)})</span><br>
Invoice ${escapeHtml(invoice.id)} · period ${escapeHtml(day(invoice.periodStart))} – ${escapeHtml(day(invoice.periodEnd))}<br>
Status: <strong>${statusLabel[invoice.status]}</strong>${invoice.issuedAt ? ` · issued ${escapeHtml(day(invoice.issuedAt))}` : ""}</p>
<table aria-label="Invoice lines"><thead><tr><th>Description</th><th class="num">Amount</th></tr></thead>
<tbody>${rows || '<tr><td colspan="2" class="muted">No charges this period</td></tr>'}</tbody>
<tfoot><tr><td>Total</td><td class="num">${formatMinor(invoice.totalMinor)}</td></tr>${
    invoice.amountDueMinor > 0 ? `<tr><td>Unpaid plan fee (past due)</td><td class="num">${formatMinor(invoice.amountDueMinor)}</td></tr>` : ""
  }</tfoot></table>
<h2>Payments into the balance</h2>
<table aria-label="Payments"><tbody>${payments || '<tr><td class="muted">None this period</td></tr>'}</tbody></table>
<p class="muted">Amounts in USD. Charges are taken from the prepaid balance (or the card on file for plan fees) as they occur.</p>
<script nonce="${escapeHtml(scriptNonce)}">document.getElementById("print").addEventListener("click",function(){window.print()})</script>
</body></html>`;
}
