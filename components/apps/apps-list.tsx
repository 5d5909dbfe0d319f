"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { App } from "@/components/api-types";
import { queryKeys, useApps, usePlans, useUsage } from "@/components/apps/queries";
import { formatCompact, formatDate, formatNumber } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { PlanCards } from "@/components/plans/plan-cards";

/** Apps whose name, id or tenant contains the search text, any case. */
function matchesSearch(app: App, query: string): boolean {
  const text = query.trim().toLowerCase();
  return !text || [app.name, app.id, app.tenantName].some((value) => value.toLowerCase().includes(text));
}

export function AppsList() {
  const apps = useApps();
  const [creating, setCreating] = useState(false);
  const activeTenant = apps.data?.tenants.find((tenant) => tenant.id === apps.data?.activeTenantId);
  // The list shows the active team's apps; only its owners may create more.
  const canCreate = activeTenant ? activeTenant.permissions.includes("app.create") : false;
  const [query, setQuery] = useState("");
  const visibleApps = apps.data ? apps.data.apps.filter((app) => !activeTenant || app.tenantId === activeTenant.id) : [];
  const shown = visibleApps.filter((app) => matchesSearch(app, query));

  return (
    <section className="stack">
      <div className="page-header">
        <h1>Apps</h1>
        {!creating && canCreate && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New app
          </button>
        )}
      </div>
      {activeTenant && !canCreate && (
        <p className="muted small" data-testid="member-apps-note">
          You are a member of {activeTenant.name}: you can use its apps and keys; an owner creates apps and manages billing.
        </p>
      )}
      {creating && activeTenant && <CreateAppForm tenantId={activeTenant.id} onCancel={() => setCreating(false)} />}
      {apps.isPending ? (
        <SkeletonBlock rows={3} label="Loading apps" />
      ) : apps.isError ? (
        <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />
      ) : visibleApps.length === 0 ? (
        <div className="empty">
          <p>No apps yet. An app holds your keys, limits and usage.</p>
          {!creating && canCreate && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create your first app
            </button>
          )}
        </div>
      ) : (
        <>
          <input type="search" aria-label="Search apps" placeholder="Search by app name, id or team" value={query} onChange={(event) => setQuery(event.target.value)} />
          {shown.length === 0 ? (
            <p className="empty">No app matches “{query.trim()}”.</p>
          ) : (
            <ul className="app-list" aria-label="Your apps">
              {shown.map((app) => (
                <AppRow key={app.id} app={app} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function AppRow({ app }: { app: App }) {
  return (
    <li className="card app-row">
      <div>
        <Link href={`/apps/${app.id}`} className="app-name">
          {app.name}
        </Link>
        <div className="muted small">
          <code>{app.id}</code> · {app.tenantName} · created {formatDate(app.createdAt)}
        </div>
      </div>
      <div className="app-row-side">
        <AppLiveUsage appId={app.id} />
        <div className="row-badges">
          <span className="badge">{app.plan.name}</span>
          <span className={`badge ${app.status}`}>{app.status}</span>
        </div>
      </div>
    </li>
  );
}

/** Connections now and messages this period, polled like the app page's gauges. */
function AppLiveUsage({ appId }: { appId: string }) {
  const usage = useUsage(appId);
  if (!usage.data) return <span className="muted small">{usage.isError ? "usage unavailable" : "…"}</span>;
  const { concurrentNow, messagesUsed, plan } = usage.data;
  return (
    <span className="muted small nowrap" data-testid="app-live-usage">
      <strong>{formatNumber(concurrentNow)}</strong> connected · <strong>{formatCompact(messagesUsed)}</strong>
      {plan.maxMessagesPerPeriod !== null && ` / ${formatCompact(plan.maxMessagesPerPeriod)}`} messages
    </span>
  );
}

function CreateAppForm({ tenantId, onCancel }: { tenantId: string; onCancel(): void }) {
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const plans = usePlans();
  const [name, setName] = useState("");
  const [planSlug, setPlanSlug] = useState("free");
  const create = useMutation({
    mutationFn: () => apiFetch<{ app: App }>("/api/apps", { method: "POST", body: { name: name.trim(), planSlug, tenantId } }),
    onSuccess: ({ app }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.apps });
      toast.show(`Created ${app.name}`);
      router.push(`/apps/${app.id}`);
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  const shownFields = ["name", "planSlug"];
  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="Create app" noValidate>
      <h2>Create an app</h2>
      <Field label="App name" error={fieldError(create.error, "name")}>
        <input value={name} onChange={(event) => setName(event.target.value)} maxLength={100} autoFocus required />
      </Field>
      {plans.data ? (
        <div className="full stack">
          <PlanCards plans={plans.data} selectedSlug={planSlug} onSelect={setPlanSlug} legend="Plan — you can change it later" />
          {fieldError(create.error, "planSlug") && (
            <p className="field-error" role="alert">
              {fieldError(create.error, "planSlug")}
            </p>
          )}
        </div>
      ) : plans.isError ? (
        <ErrorState error={plans.error} onRetry={() => void plans.refetch()} />
      ) : (
        <SkeletonBlock rows={3} label="Loading plans" />
      )}
      <FormError error={create.error} shownFields={shownFields} />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create app"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
