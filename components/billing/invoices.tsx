"use client";
// Invoices of an app: the list (one per billing period) and one invoice with its lines, a printable
// view and CSV. The lines are the period's ledger entries, so the totals are the ledger's.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { apiFetch } from "@/components/api";
import { formatDate, formatDateTime, formatMoney } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import type { InvoiceView } from "@/lib/billing/get-invoice";

const statusLabel: Record<InvoiceView["status"], string> = { draft: "Draft", issued: "Issued", paid: "Paid", past_due: "Past due" };
const statusClass: Record<InvoiceView["status"], string> = { draft: "status-warning", issued: "status-warning", paid: "status-healthy", past_due: "status-critical" };

function base(appId: string) {
  return `/api/apps/${encodeURIComponent(appId)}/invoices`;
}

export function InvoiceStatus({ status }: { status: InvoiceView["status"] }) {
  return <span className={`status-pill ${statusClass[status]}`}>{statusLabel[status]}</span>;
}

export function InvoicesList({ appId }: { appId: string }) {
  const invoices = useQuery({ queryKey: ["apps", appId, "invoices"], queryFn: async () => (await apiFetch<{ invoices: InvoiceView[] }>(base(appId))).invoices });
  return (
    <section className="card stack" aria-labelledby="invoices-heading">
      <Link href={`/apps/${encodeURIComponent(appId)}/billing`} className="muted small">
        ← Plan &amp; billing
      </Link>
      <h2 id="invoices-heading">Invoices</h2>
      <p className="muted small">A draft collects the running period&apos;s charges; it is issued when the period ends (paid, or past due if the plan fee could not be charged).</p>
      {invoices.isPending ? (
        <SkeletonBlock rows={3} label="Loading invoices" />
      ) : invoices.isError ? (
        <ErrorState error={invoices.error} onRetry={() => void invoices.refetch()} />
      ) : invoices.data.length === 0 ? (
        <p className="empty">No invoices yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Invoices">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">
                  <span className="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.map((invoice) => (
                <tr key={invoice.id}>
                  <td data-label="Period">
                    {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
                  </td>
                  <td data-label="Status">
                    <InvoiceStatus status={invoice.status} />
                  </td>
                  <td data-label="Total" className="num">
                    {formatMoney(invoice.totalMinor)}
                  </td>
                  <td className="row-actions">
                    <Link className="small-button" href={`/apps/${encodeURIComponent(appId)}/billing/invoices/${encodeURIComponent(invoice.id)}`} aria-label={`Invoice ${formatDate(invoice.periodStart)}`}>
                      Open
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function InvoiceDetail({ appId, invoiceId }: { appId: string; invoiceId: string }) {
  const url = `${base(appId)}/${encodeURIComponent(invoiceId)}`;
  const invoice = useQuery({ queryKey: ["apps", appId, "invoices", invoiceId], queryFn: async () => (await apiFetch<{ invoice: InvoiceView }>(url)).invoice });
  if (invoice.isPending) return <SkeletonBlock rows={5} label="Loading invoice" />;
  if (invoice.isError) return <ErrorState error={invoice.error} onRetry={() => void invoice.refetch()} />;
  const data = invoice.data;
  return (
    <section className="card stack" aria-labelledby="invoice-heading">
      <Link href={`/apps/${encodeURIComponent(appId)}/billing/invoices`} className="muted small">
        ← Invoices
      </Link>
      <h2 id="invoice-heading">
        Invoice {formatDate(data.periodStart)} – {formatDate(data.periodEnd)} <InvoiceStatus status={data.status} />
      </h2>
      <p className="muted small">
        <code>{data.id}</code>
        {data.issuedAt ? ` · issued ${formatDateTime(data.issuedAt)}` : " · the period is still running"}
      </p>
      <div className="actions">
        <a className="small-button" href={`${url}?format=html`} target="_blank" rel="noopener">
          Printable view
        </a>
        <a className="small-button" href={`${url}?format=csv`} download>
          Export CSV
        </a>
      </div>
      <div className="table-wrap">
        <table className="table" aria-label="Invoice lines">
          <thead>
            <tr>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {data.lines.length === 0 && (
              <tr>
                <td colSpan={2} className="muted">
                  No charges this period.
                </td>
              </tr>
            )}
            {data.lines.map((line, index) => (
              <tr key={`${line.kind}-${index}`}>
                <td>{line.description}</td>
                <td className={`num ${line.amountMinor < 0 ? "text-healthy" : ""}`}>{formatMoney(line.amountMinor)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num" data-testid="invoice-total">
                {formatMoney(data.totalMinor)}
              </td>
            </tr>
            {data.amountDueMinor > 0 && (
              <tr>
                <th scope="row">Unpaid plan fee (past due)</th>
                <td className="num text-critical">{formatMoney(data.amountDueMinor)}</td>
              </tr>
            )}
          </tfoot>
        </table>
      </div>
      {data.payments.length > 0 && (
        <details>
          <summary>Payments into the balance this period ({data.payments.length})</summary>
          <ul className="plain-list">
            {data.payments.map((payment, index) => (
              <li key={index}>
                {formatDateTime(payment.at)} — {payment.description}: {formatMoney(payment.amountMinor)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
