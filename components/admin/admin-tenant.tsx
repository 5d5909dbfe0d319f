"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { AdminTenantDetail } from "@/components/api-types";
import { AppNameCell, AppStatusCell } from "@/components/admin/app-cells";
import { AuditLog } from "@/components/admin/audit-log";
import { PropagationNote } from "@/components/admin/propagation-note";
import { TenantInvoices } from "@/components/admin/tenant-invoices";
import type { RelayPropagation } from "@/components/relay-propagation";
import { formatDate, formatMoney } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import type { TenantAppLimitView } from "@/lib/tenants/tenant.types";

/** Opens the team's dashboard as its owners see it, read-only (audited; a banner says so on every page). */
function ViewAsButton({ tenantId }: { tenantId: string }) {
  const start = useMutation({
    mutationFn: () => apiFetch(`/api/admin/tenants/${encodeURIComponent(tenantId)}/view-as`, { method: "POST" }),
    onSuccess: () => window.location.assign("/apps"),
  });
  return (
    <div className="actions">
      <button type="button" className="small-button" onClick={() => start.mutate()} disabled={start.isPending}>
        View as customer
      </button>
      {start.isError && (
        <p className="form-error" role="alert">
          {start.error.message}
        </p>
      )}
    </div>
  );
}

export function AdminTenantPage({ tenantId, propagation }: { tenantId: string; propagation: RelayPropagation }) {
  const tenant = useQuery({
    queryKey: ["admin", "tenant", tenantId],
    queryFn: async () => (await apiFetch<{ tenant: AdminTenantDetail }>(`/api/admin/tenants/${encodeURIComponent(tenantId)}`)).tenant,
  });
  if (tenant.isPending) return <SkeletonBlock rows={6} label="Loading tenant" />;
  if (tenant.isError) return <ErrorState error={tenant.error} onRetry={() => void tenant.refetch()} />;
  const t = tenant.data;
  return (
    <div className="stack">
      <div className="app-header">
        <Link href="/admin" className="muted small">
          ← Tenants &amp; apps
        </Link>
        <h2>{t.name}</h2>
        <p className="muted small">
          <code>{t.id}</code> · created {formatDate(t.createdAt)} · team balance {formatMoney(t.balanceMinor)}
        </p>
        <ViewAsButton tenantId={t.id} />
      </div>
      <section className="card stack" aria-labelledby="tenant-members-heading">
        <h3 id="tenant-members-heading">Members</h3>
        <div className="table-wrap">
          <table className="table responsive" aria-label="Tenant members">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
              </tr>
            </thead>
            <tbody>
              {t.members.map((member) => (
                <tr key={member.userId}>
                  <td data-label="Email">
                    <span className="nowrap">{member.email}</span> {member.isPlatformAdmin && <span className="badge">platform admin</span>}
                  </td>
                  <td data-label="Role">{member.role}</td>
                  <td data-label="Joined" className="nowrap">
                    {formatDate(member.joinedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {t.pendingInvitations.length > 0 && (
          <p className="muted small">
            Pending invitations: {t.pendingInvitations.map((invitation) => `${invitation.email ?? "link"} (${invitation.role})`).join(", ")}
          </p>
        )}
      </section>
      <TenantInvoices tenantId={t.id} />
      <section className="card stack" aria-labelledby="tenant-apps-heading">
        <h3 id="tenant-apps-heading">Apps</h3>
        {t.apps.length === 0 ? (
          <p className="empty">This tenant has no apps.</p>
        ) : (
          <div className="table-wrap">
            <table className="table responsive" aria-label="Tenant apps">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {t.apps.map((app) => (
                  <tr key={app.id}>
                    <AppNameCell app={app} />
                    <td data-label="Plan">{app.plan.name}</td>
                    <AppStatusCell app={app} />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <AppLimitCard tenant={t} />
      <TenantSuspendCard tenant={t} propagation={propagation} />
      <AuditLog key={t.id} title="Audit log for this tenant" tenantFilter={t.id} />
    </div>
  );
}

function limitDraft(maxApps: number | null): string {
  return maxApps === null ? "" : String(maxApps);
}

/** The tenant's own app limit: empty for the default; a lower limit keeps existing apps and refuses new ones. */
function AppLimitCard({ tenant }: { tenant: AdminTenantDetail }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [draft, setDraft] = useState(() => limitDraft(tenant.maxApps));
  const [localError, setLocalError] = useState<string | undefined>();
  useEffect(() => setDraft(limitDraft(tenant.maxApps)), [tenant.maxApps]);
  const liveApps = tenant.apps.filter((app) => !app.deletedAt).length;
  const save = useMutation({
    mutationFn: (maxApps: number | null) => apiFetch<TenantAppLimitView>(`/api/admin/tenants/${encodeURIComponent(tenant.id)}`, { method: "PATCH", body: { maxApps } }),
    onSuccess: (result) => {
      toast.show(result.maxApps === null ? `App limit back to the default (${result.appLimit})` : `App limit set to ${result.appLimit}`);
      void queryClient.invalidateQueries({ queryKey: ["admin"] });
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    const value = text === "" ? null : Number(text);
    if (value !== null && (!Number.isInteger(value) || value < 0)) {
      setLocalError("Enter a whole number of at least 0, or leave it empty for the default");
      return;
    }
    setLocalError(undefined);
    save.mutate(value);
  }

  return (
    <section className="card stack" aria-labelledby="tenant-app-limit-heading">
      <h3 id="tenant-app-limit-heading">App limit</h3>
      <p>
        {liveApps} of {tenant.appLimit} live apps ({tenant.maxApps === null ? "the default limit" : `this team's own limit; the default is ${tenant.defaultAppLimit}`}).
        A lower limit keeps the apps a team has and only refuses new ones.
      </p>
      <form className="form-grid" onSubmit={onSubmit} aria-label="App limit" noValidate>
        <Field label="Maximum live apps" hint="Empty: the default" error={localError ?? fieldError(save.error, "maxApps")}>
          <input inputMode="numeric" value={draft} placeholder={`default: ${tenant.defaultAppLimit}`} onChange={(event) => setDraft(event.target.value)} />
        </Field>
        <FormError error={save.error} shownFields={["maxApps"]} />
        <div className="actions full">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save app limit"}
          </button>
        </div>
      </form>
    </section>
  );
}

function TenantSuspendCard({ tenant, propagation }: { tenant: AdminTenantDetail; propagation: RelayPropagation }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [action, setAction] = useState<"suspend" | "resume" | null>(null);
  const [reason, setReason] = useState("");
  const [savedAt, setSavedAt] = useState<{ at: number; change: "suspension" | "resume" } | null>(null);
  const liveApps = tenant.apps.filter((app) => !app.deletedAt);
  const change = useMutation({
    mutationFn: (which: "suspend" | "resume") =>
      apiFetch<{ changed: number }>(`/api/admin/tenants/${encodeURIComponent(tenant.id)}/${which}`, { method: "POST", body: which === "suspend" ? { reason: reason.trim() || undefined } : {} }),
    onSuccess: ({ changed }, which) => {
      setAction(null);
      setSavedAt({ at: Date.now(), change: which === "suspend" ? "suspension" : "resume" });
      toast.show(`${which === "suspend" ? "Suspended" : "Resumed"} ${changed} app${changed === 1 ? "" : "s"}`);
      void queryClient.invalidateQueries({ queryKey: ["admin"] });
    },
    onError: (error) => {
      setAction(null);
      toast.show(error.message, "error");
    },
  });
  return (
    <section className="card stack" aria-labelledby="tenant-status-heading">
      <h3 id="tenant-status-heading">Every app at once</h3>
      <p>
        {tenant.suspendedAppCount} of {liveApps.length} apps suspended. Suspending closes each app&apos;s live connections with code 4012 and refuses new ones;
        the team sees your reason on its app pages.
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => setAction("suspend")} disabled={tenant.suspendedAppCount === liveApps.length}>
          Suspend all apps
        </button>
        <button type="button" onClick={() => setAction("resume")} disabled={tenant.suspendedAppCount === 0}>
          Resume all apps
        </button>
      </div>
      {savedAt && <PropagationNote propagation={propagation} savedAt={savedAt.at} change={savedAt.change} />}
      <ConfirmDialog
        open={action !== null}
        title={action === "suspend" ? `Suspend every app of ${tenant.name}?` : `Resume every app of ${tenant.name}?`}
        confirmLabel={action === "suspend" ? "Suspend all apps" : "Resume all apps"}
        destructive={action === "suspend"}
        pending={change.isPending}
        onCancel={() => setAction(null)}
        onConfirm={() => action && change.mutate(action)}
      >
        {action === "suspend" ? (
          <label className="field">
            Reason (shown to the team and kept in the audit log)
            <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
          </label>
        ) : (
          <p>Clients of every suspended app can connect again once the relays refresh.</p>
        )}
      </ConfirmDialog>
    </section>
  );
}
