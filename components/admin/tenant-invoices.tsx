"use client";
// A team's issued invoices for platform admins, with the one correction an issued invoice allows: voiding
// it with a reason (its month is issued again under a new number). Money is corrected on the app's page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch } from "@/components/api";
import { formatDate, formatMoney } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import type { InvoiceView } from "@/lib/billing/get-invoice";

export function TenantInvoices({ tenantId }: { tenantId: string }) {
  const invoices = useQuery({
    queryKey: ["admin", "tenant", tenantId, "invoices"],
    queryFn: async () => (await apiFetch<{ invoices: InvoiceView[] }>(`/api/admin/tenants/${encodeURIComponent(tenantId)}/invoices`)).invoices,
  });
  return (
    <section className="card stack" aria-labelledby="tenant-invoices-heading">
      <h3 id="tenant-invoices-heading">Invoices</h3>
      {invoices.isPending ? (
        <SkeletonBlock rows={2} label="Loading invoices" />
      ) : invoices.isError ? (
        <ErrorState error={invoices.error} onRetry={() => void invoices.refetch()} />
      ) : invoices.data.length === 0 ? (
        <p className="empty">No invoice issued yet: the first is issued when a month with charges closes.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Tenant invoices">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">Void</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.map((invoice) => (
                <tr key={invoice.id}>
                  <td data-label="Number">{invoice.number}</td>
                  <td data-label="Period">{formatDate(invoice.periodStart)}</td>
                  <td data-label="Status">{invoice.status === "void" ? `void: ${invoice.voidReason ?? ""}` : invoice.kind === "credit_note" ? `credit note for ${invoice.correctsNumber ?? "?"}` : invoice.status}</td>
                  <td data-label="Total" className="num">
                    {formatMoney(invoice.totalMinor)}
                  </td>
                  <td data-label="Void">{invoice.kind === "invoice" && invoice.status !== "void" && <VoidForm tenantId={tenantId} invoice={invoice} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function VoidForm({ tenantId, invoice }: { tenantId: string; invoice: InvoiceView }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const voiding = useMutation({
    mutationFn: () => apiFetch(`/api/admin/invoices/${encodeURIComponent(invoice.id)}/void`, { method: "POST", body: { reason } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["admin", "tenant", tenantId, "invoices"] }),
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    voiding.mutate();
  }
  return (
    <form className="actions" onSubmit={onSubmit} aria-label={`Void ${invoice.number ?? ""}`} noValidate>
      <input aria-label="Reason for voiding" placeholder="Reason" value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
      <button type="submit" className="small-button" disabled={voiding.isPending}>
        Void
      </button>
      {voiding.isError && (
        <span className="field-error" role="alert">
          {voiding.error.message}
        </span>
      )}
    </form>
  );
}
