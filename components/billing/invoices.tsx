"use client";
// The team's invoices: the upcoming one (what the month has so far), the issued invoices and credit
// notes with their numbers, one invoice with its lines per app (PDF, printable view, CSV), and the billing
// details invoices are issued to (editable by owners).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { Team } from "@/components/api-types";
import { useApps } from "@/components/apps/queries";
import { formatDate, formatMoney } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import type { InvoiceView } from "@/lib/billing/get-invoice";
import type { PartyDetails } from "@/lib/billing/invoice-parties.types";

const statusLabel: Record<InvoiceView["status"], string> = { upcoming: "Upcoming", open: "Open", paid: "Paid", void: "Void" };
const statusClass: Record<InvoiceView["status"], string> = { upcoming: "status-warning", open: "status-warning", paid: "status-healthy", void: "status-critical" };

function base(tenantId: string) {
  return `/api/tenants/${encodeURIComponent(tenantId)}/invoices`;
}

function titleOf(invoice: InvoiceView): string {
  if (!invoice.number) return "Upcoming invoice";
  return `${invoice.kind === "credit_note" ? "Credit note" : "Invoice"} ${invoice.number}`;
}

/** Periods end at midnight, exclusive: the last day shown is the day before. */
function periodOf(invoice: InvoiceView): string {
  return `${formatDate(invoice.periodStart)} – ${formatDate(new Date(new Date(invoice.periodEnd).getTime() - 1).toISOString())}`;
}

export function InvoiceStatus({ invoice }: { invoice: InvoiceView }) {
  const label = invoice.kind === "credit_note" ? "Credited" : statusLabel[invoice.status];
  return <span className={`status-pill ${statusClass[invoice.status]}`}>{label}</span>;
}

function useActiveTenant() {
  const apps = useApps();
  return { apps, tenantId: apps.data?.activeTenantId ?? null };
}

export function TeamInvoices() {
  const { apps, tenantId } = useActiveTenant();
  const invoices = useQuery({
    queryKey: ["team", tenantId, "invoices"],
    queryFn: () => apiFetch<{ upcoming: InvoiceView; invoices: InvoiceView[] }>(base(tenantId ?? "")),
    enabled: tenantId !== null,
  });
  if (apps.isPending || (tenantId && invoices.isPending)) return <SkeletonBlock rows={4} label="Loading invoices" />;
  if (apps.isError) return <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />;
  if (invoices.isError) return <ErrorState error={invoices.error} onRetry={() => void invoices.refetch()} />;
  if (!tenantId || !invoices.data) return <p className="empty">You are not a member of any team.</p>;
  const all = [invoices.data.upcoming, ...invoices.data.invoices];
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="invoices-heading">
        <Link href="/team" className="muted small">
          ← Team
        </Link>
        <h1 id="invoices-heading">Invoices</h1>
        <p className="muted small">
          One invoice per calendar month (UTC) for all of the team&apos;s apps, numbered and issued in the first hour of the next month. The upcoming invoice collects the charges and
          credits no invoice lists yet.
        </p>
        <div className="table-wrap">
          <table className="table responsive" aria-label="Invoices">
            <thead>
              <tr>
                <th scope="col">Number</th>
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
              {all.map((invoice) => (
                <tr key={invoice.id}>
                  <td data-label="Number">{invoice.number ?? "Upcoming"}</td>
                  <td data-label="Period">{periodOf(invoice)}</td>
                  <td data-label="Status">
                    <InvoiceStatus invoice={invoice} />
                  </td>
                  <td data-label="Total" className="num">
                    {formatMoney(invoice.totalMinor)}
                  </td>
                  <td className="row-actions">
                    <Link className="small-button" href={`/team/invoices/${encodeURIComponent(invoice.id)}`} aria-label={titleOf(invoice)}>
                      Open
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <BillingDetailsSection tenantId={tenantId} />
    </div>
  );
}

const DETAIL_FIELDS = ["name", "address", "taxId", "email"] as const;

function BillingDetailsSection({ tenantId }: { tenantId: string }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const url = `/api/tenants/${encodeURIComponent(tenantId)}/billing-details`;
  const team = useQuery({ queryKey: ["team", tenantId], queryFn: () => apiFetch<Team>(`/api/tenants/${encodeURIComponent(tenantId)}`) });
  const details = useQuery({ queryKey: ["team", tenantId, "billing-details"], queryFn: async () => (await apiFetch<{ billingDetails: PartyDetails }>(url)).billingDetails });
  const [draft, setDraft] = useState<PartyDetails | null>(null);
  const save = useMutation({
    mutationFn: (body: PartyDetails) => apiFetch<{ billingDetails: PartyDetails }>(url, { method: "PUT", body }),
    onSuccess: (result) => {
      queryClient.setQueryData(["team", tenantId, "billing-details"], result.billingDetails);
      void queryClient.invalidateQueries({ queryKey: ["team", tenantId, "invoices"] });
      setDraft(null);
      toast.show("Billing details saved: invoices issued from now on carry them");
    },
  });
  if (details.isPending || team.isPending) return <SkeletonBlock rows={3} label="Loading billing details" />;
  if (details.isError) return <ErrorState error={details.error} onRetry={() => void details.refetch()} />;
  const canEdit = team.data?.permissions.includes("billing.manage") ?? false;
  const shown = draft ?? details.data;
  const set = (field: keyof PartyDetails) => (event: { target: { value: string } }) => setDraft({ ...shown, [field]: event.target.value });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate(shown);
  }
  return (
    <form className="card form-grid" aria-label="Billing details" onSubmit={onSubmit} noValidate>
      <h2>Billing details</h2>
      <p className="muted small">
        {canEdit ? "Printed on every invoice issued from now on; issued invoices keep the details they were issued with." : "Only an owner of this team can change these."}
      </p>
      <Field label="Name on invoices" error={fieldError(save.error, "name")}>
        <input value={shown.name} onChange={set("name")} disabled={!canEdit} maxLength={200} />
      </Field>
      <Field label="Address" error={fieldError(save.error, "address")}>
        <textarea value={shown.address} onChange={set("address")} disabled={!canEdit} rows={3} maxLength={1000} />
      </Field>
      <Field label="Tax id" hint="VAT, GST or similar, if the team has one" error={fieldError(save.error, "taxId")}>
        <input value={shown.taxId} onChange={set("taxId")} disabled={!canEdit} maxLength={64} />
      </Field>
      <Field label="Billing email" error={fieldError(save.error, "email")}>
        <input type="email" value={shown.email} onChange={set("email")} disabled={!canEdit} maxLength={254} />
      </Field>
      <FormError error={save.error} shownFields={DETAIL_FIELDS} />
      {canEdit && (
        <div className="actions">
          <button type="submit" disabled={save.isPending || draft === null}>
            {save.isPending ? "Saving…" : "Save billing details"}
          </button>
        </div>
      )}
    </form>
  );
}

function PartyBlock({ title, party }: { title: string; party: PartyDetails }) {
  const lines = [party.name, ...party.address.split(/\r?\n/), party.taxId ? `Tax id: ${party.taxId}` : "", party.email].filter((line) => line.trim() !== "");
  return (
    <div>
      <h3>{title}</h3>
      <p className="small">
        {lines.length === 0
          ? "—"
          : lines.map((line, index) => (
              <span key={index}>
                {line}
                <br />
              </span>
            ))}
      </p>
    </div>
  );
}

/** The lines grouped by app, in the order the invoice lists them. */
function linesByApp(lines: InvoiceView["lines"]): { appId: string | null; appName: string; lines: InvoiceView["lines"] }[] {
  const groups: { appId: string | null; appName: string; lines: InvoiceView["lines"] }[] = [];
  for (const line of lines) {
    const group = groups.find((candidate) => candidate.appId === line.appId);
    if (group) group.lines.push(line);
    else groups.push({ appId: line.appId, appName: line.appName, lines: [line] });
  }
  return groups;
}

export function InvoiceDetail({ invoiceId }: { invoiceId: string }) {
  const { apps, tenantId } = useActiveTenant();
  const url = `${base(tenantId ?? "")}/${encodeURIComponent(invoiceId)}`;
  const invoice = useQuery({
    queryKey: ["team", tenantId, "invoices", invoiceId],
    queryFn: async () => (await apiFetch<{ invoice: InvoiceView }>(url)).invoice,
    enabled: tenantId !== null,
  });
  if (apps.isPending || (tenantId && invoice.isPending)) return <SkeletonBlock rows={5} label="Loading invoice" />;
  if (apps.isError) return <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />;
  if (invoice.isError) return <ErrorState error={invoice.error} onRetry={() => void invoice.refetch()} />;
  if (!invoice.data) return <p className="empty">You are not a member of any team.</p>;
  const data = invoice.data;
  return (
    <section className="card stack" aria-labelledby="invoice-heading">
      <Link href="/team/invoices" className="muted small">
        ← Invoices
      </Link>
      <h1 id="invoice-heading">
        {titleOf(data)} <InvoiceStatus invoice={data} />
      </h1>
      <p className="muted small">
        Period {periodOf(data)}
        {data.issuedAt ? ` · issued ${formatDate(data.issuedAt)}` : " · the month is still running: this invoice has no number yet"}
        {data.dueAt && data.kind === "invoice" ? ` · due ${formatDate(data.dueAt)}` : ""}
        {data.correctsNumber ? ` · corrects invoice ${data.correctsNumber}` : ""}
      </p>
      <div className="actions">
        <a className="small-button" href={`${url}?format=pdf`} download>
          Download PDF
        </a>
        <a className="small-button" href={`${url}?format=html`} target="_blank" rel="noopener">
          Printable view
        </a>
        <a className="small-button" href={`${url}?format=csv`} download>
          Export CSV
        </a>
      </div>
      <div className="two-col">
        <PartyBlock title="From" party={data.seller} />
        <PartyBlock title="Bill to" party={data.buyer} />
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
          {data.lines.length === 0 && (
            <tbody>
              <tr>
                <td colSpan={2} className="muted">
                  No charges.
                </td>
              </tr>
            </tbody>
          )}
          {linesByApp(data.lines).map(({ appId, appName, lines }) => (
            <tbody key={appId ?? "team"} aria-label={appName}>
              <tr>
                <th scope="rowgroup" colSpan={2}>
                  {appName} {appId && <code className="muted small breakable">{appId}</code>}
                </th>
              </tr>
              {lines.map((line, index) => (
                <tr key={`${line.kind}-${index}`}>
                  <td>{line.description}</td>
                  <td className={`num ${line.amountMinor < 0 ? "text-healthy" : ""}`}>{formatMoney(line.amountMinor)}</td>
                </tr>
              ))}
            </tbody>
          ))}
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num" data-testid="invoice-total">
                {formatMoney(data.totalMinor)}
              </td>
            </tr>
            {data.amountDueMinor > 0 && (
              <tr>
                <th scope="row">Amount due</th>
                <td className="num text-critical">{formatMoney(data.amountDueMinor)}</td>
              </tr>
            )}
          </tfoot>
        </table>
      </div>
      {data.payments.length > 0 && (
        <details>
          <summary>Payments and refunds ({data.payments.length})</summary>
          <ul className="plain-list">
            {data.payments.map((payment, index) => (
              <li key={index}>
                {formatDate(payment.at)} — {payment.appName}: {payment.description}: {formatMoney(payment.amountMinor)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
