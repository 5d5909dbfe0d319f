"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { App } from "@/components/api-types";
import { queryKeys, useApps, usePlans } from "@/components/apps/queries";
import { formatDate } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

export function AppsList() {
  const apps = useApps();
  const [creating, setCreating] = useState(false);
  const activeTenant = apps.data?.tenants.find((tenant) => tenant.id === apps.data?.activeTenantId);
  // The list shows the active team's apps; only its owners may create more.
  const canCreate = activeTenant ? activeTenant.permissions.includes("app.create") : false;
  const visibleApps = apps.data ? apps.data.apps.filter((app) => !activeTenant || app.tenantId === activeTenant.id) : [];

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
        <ul className="app-list" aria-label="Your apps">
          {visibleApps.map((app) => (
            <AppRow key={app.id} app={app} />
          ))}
        </ul>
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
      <div className="row-badges">
        <span className="badge">{app.plan.name}</span>
        <span className={`badge ${app.status}`}>{app.status}</span>
      </div>
    </li>
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
      <Field label="Plan" error={fieldError(create.error, "planSlug")} hint="You can change the plan later.">
        <select value={planSlug} onChange={(event) => setPlanSlug(event.target.value)} disabled={plans.isPending}>
          {(plans.data ?? [{ slug: "free", name: "Free" }]).map((plan) => (
            <option key={plan.slug} value={plan.slug}>
              {plan.name}
            </option>
          ))}
        </select>
      </Field>
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
