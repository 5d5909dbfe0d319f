"use client";
// Shown on every page while a platform admin views as a customer: whose dashboard this is, that nothing
// can be changed, and the way out (back to the tenant's admin page).
import { useMutation } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";
import type { ViewingAs } from "@/lib/tenancy/view-as";

export function ViewAsBanner({ viewingAs }: { viewingAs: ViewingAs }) {
  const stop = useMutation({
    mutationFn: () => apiFetch("/api/admin/view-as", { method: "DELETE" }),
    // A full load: every page and query must drop the customer's view.
    onSuccess: () => window.location.assign(`/admin/tenants/${encodeURIComponent(viewingAs.tenantId)}`),
  });
  return (
    <div className="banner banner-warning view-as-banner" role="status" data-testid="view-as-banner">
      <p>
        Viewing as <strong>{viewingAs.tenantName}</strong> (customer view, read-only): every change is refused. This visit is in the audit log.
      </p>
      <button type="button" className="small-button" onClick={() => stop.mutate()} disabled={stop.isPending}>
        {stop.isPending ? "Stopping…" : "Stop viewing"}
      </button>
      {stop.isError && (
        <p className="form-error" role="alert">
          {stop.error.message}
        </p>
      )}
    </div>
  );
}
