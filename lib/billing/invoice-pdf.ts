// The invoice as a PDF, drawn server-side with pdfkit (its built-in Helvetica: no font files to ship, but
// only Latin-1 text prints as written). The same view as the HTML page: number, dates, both parties, the
// lines per app, the total and the amount due.
import PDFDocument from "pdfkit";
import type { InvoiceView } from "./get-invoice";
import { formatMinor, invoiceDay, invoicePeriodText, invoiceStatusLabel, invoiceTitle, partyLines } from "./invoice-documents";

const MARGIN = 50;
const AMOUNT_WIDTH = 90;

export function invoicePdf(invoice: InvoiceView): Promise<Uint8Array<ArrayBuffer>> {
  const doc = new PDFDocument({ size: "A4", margin: MARGIN, info: { Title: invoiceTitle(invoice), Author: invoice.seller.name || "Tollgate" } });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on("error", reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const descriptionWidth = width - AMOUNT_WIDTH;

  const row = (label: string, amount: string, options: { bold?: boolean } = {}) => {
    doc.font(options.bold ? "Helvetica-Bold" : "Helvetica").fontSize(10);
    const y = doc.y;
    doc.text(label, MARGIN, y, { width: descriptionWidth - 10 });
    const after = doc.y;
    doc.text(amount, MARGIN + descriptionWidth, y, { width: AMOUNT_WIDTH, align: "right" });
    doc.y = Math.max(after, doc.y) + 4;
  };

  doc.font("Helvetica-Bold").fontSize(20).text(invoiceTitle(invoice));
  doc.moveDown(0.3).font("Helvetica").fontSize(10);
  doc.text(`Period: ${invoicePeriodText(invoice)}`);
  if (invoice.issuedAt) doc.text(`Issued: ${invoiceDay(invoice.issuedAt)}`);
  if (invoice.dueAt && invoice.kind === "invoice") doc.text(`Due: ${invoiceDay(invoice.dueAt)}`);
  doc.text(`Status: ${invoiceStatusLabel[invoice.status]}`);
  if (invoice.correctsNumber) doc.text(`Corrects invoice ${invoice.correctsNumber}`);
  if (invoice.voidReason) doc.text(`Void: ${invoice.voidReason}`);

  const partiesTop = doc.moveDown().y;
  const column = width / 2 - 10;
  doc.font("Helvetica-Bold").text("From", MARGIN, partiesTop, { width: column });
  doc.font("Helvetica").text(partyLines(invoice.seller).join("\n") || "-", { width: column });
  const fromBottom = doc.y;
  doc.font("Helvetica-Bold").text("Bill to", MARGIN + width / 2, partiesTop, { width: column });
  doc.font("Helvetica").text(partyLines(invoice.buyer).join("\n") || "-", { width: column });
  doc.x = MARGIN;
  doc.y = Math.max(fromBottom, doc.y) + 20;

  row("Description", "Amount (USD)", { bold: true });
  let appId: string | null = null;
  for (const line of invoice.lines) {
    if (line.appId !== appId) {
      appId = line.appId;
      doc.moveDown(0.3).font("Helvetica-Bold").fontSize(11).text(line.appId === null ? line.appName : `${line.appName} (${line.appId})`, MARGIN, doc.y, { width });
      doc.moveDown(0.2);
    }
    row(line.description, formatMinor(line.amountMinor));
  }
  if (invoice.lines.length === 0) row("No charges", formatMinor(0));
  doc.moveDown(0.5);
  row("Charges", formatMinor(invoice.chargesMinor));
  row("Credits", formatMinor(-invoice.creditsMinor));
  row("Total", formatMinor(invoice.totalMinor), { bold: true });
  if (invoice.amountDueMinor > 0) row("Amount due", formatMinor(invoice.amountDueMinor), { bold: true });

  if (invoice.payments.length > 0) {
    doc.moveDown().font("Helvetica-Bold").fontSize(12).text("Payments and refunds", MARGIN, doc.y, { width });
    doc.moveDown(0.3);
    for (const payment of invoice.payments) row(`${invoiceDay(payment.at)} · ${payment.appName}: ${payment.description}`, formatMinor(payment.amountMinor));
  }
  doc.moveDown().font("Helvetica").fontSize(8).fillColor("#555555");
  doc.text("Amounts in USD. Charges are taken from the prepaid balance (or the card on file for plan fees) as they occur.", MARGIN, doc.y, { width });
  doc.end();
  return done;
}
