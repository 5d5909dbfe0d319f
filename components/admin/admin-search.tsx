"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { AppNameCell, AppStatusCell } from "@/components/admin/app-cells";
import { apiFetch } from "@/components/api";
import type { AdminApp, AdminTenant } from "@/components/api-types";
import { formatDate, formatLimit, formatMoney } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";

const SEARCH_DEBOUNCE_MS = 250;

function useDebounced(value: string, delayMs: number): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

export function AdminSearch() {
  const [query, setQuery] = useState("");
  const q = useDebounced(query.trim(), SEARCH_DEBOUNCE_MS);
  const tenants = useQuery({
    queryKey: ["admin", "tenants", q],
    queryFn: async () => (await apiFetch<{ tenants: AdminTenant[] }>(`/api/admin/tenants?q=${encodeURIComponent(q)}`)).tenants,
    placeholderData: keepPreviousData,
  });
  const apps = useQuery({
    queryKey: ["admin", "apps", q],
    queryFn: async () => (await apiFetch<{ apps: AdminApp[] }>(`/api/admin/apps?q=${encodeURIComponent(q)}`)).apps,
    placeholderData: keepPreviousData,
  });

  return (
    <div className="stack">
      <form role="search" onSubmit={(event) => event.preventDefault()} className="search-form">
        <label htmlFor="admin-search" className="visually-hidden">
          Search tenants and apps
        </label>
        <input
          id="admin-search"
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder="Search by tenant, member email, app name or id"
          autoComplete="off"
        />
      </form>

      <section className="card stack" aria-labelledby="apps-heading">
        <h2 id="apps-heading">Apps</h2>
        {apps.isPending ? (
          <SkeletonBlock rows={3} label="Loading apps" />
        ) : apps.isError ? (
          <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />
        ) : apps.data.length === 0 ? (
          <p className="empty">No apps match “{q}”.</p>
        ) : (
          <div className="table-wrap">
            <table className="table responsive" aria-label="Apps">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Tenant</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Limits</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Team balance
                  </th>
                </tr>
              </thead>
              <tbody>
                {apps.data.map((app) => (
                  <tr key={app.id}>
                    <AppNameCell app={app} />
                    <td data-label="Tenant">
                      <Link href={`/admin/tenants/${app.tenantId}`}>{app.tenantName}</Link>
                    </td>
                    <td data-label="Plan">
                      {app.plan.name}
                      {app.override && <span className="badge">override</span>}
                    </td>
                    <td data-label="Limits" className="small">
                      {formatLimit(app.limits.maxConcurrentConnections)} conn · {formatLimit(app.limits.maxMessagesPerPeriod)} msg
                    </td>
                    <AppStatusCell app={app} />
                    <td data-label="Team balance" className="num">
                      {formatMoney(app.balanceMinor)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card stack" aria-labelledby="tenants-heading">
        <h2 id="tenants-heading">Tenants</h2>
        {tenants.isPending ? (
          <SkeletonBlock rows={3} label="Loading tenants" />
        ) : tenants.isError ? (
          <ErrorState error={tenants.error} onRetry={() => void tenants.refetch()} />
        ) : tenants.data.length === 0 ? (
          <p className="empty">No tenants match “{q}”.</p>
        ) : (
          <div className="table-wrap">
            <table className="table responsive" aria-label="Tenants">
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Members</th>
                  <th scope="col" className="num">
                    Apps
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.map((tenant) => (
                  <tr key={tenant.id}>
                    <td data-label="Tenant">
                      <Link href={`/admin/tenants/${tenant.id}`}>{tenant.name}</Link>
                      <div className="muted small">
                        <code>{tenant.id}</code>
                      </div>
                    </td>
                    <td data-label="Members" className="small">
                      {tenant.members.map((member) => `${member.email} (${member.role})`).join(", ")}
                    </td>
                    <td data-label="Apps" className="num">
                      {tenant.appCount}
                    </td>
                    <td data-label="Created">{formatDate(tenant.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
