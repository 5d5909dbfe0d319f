"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch } from "@/components/api";
import type { AuditEntry } from "@/components/api-types";
import { AuditDiff } from "@/components/admin/audit-diff";
import { formatDateTime } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";

interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}

const noFilters: AuditFilters = { actor: "", action: "", targetType: "", targetId: "", from: "", to: "" };

function toSearch(filters: AuditFilters, appId: string | undefined): URLSearchParams {
  const params = new URLSearchParams();
  if (appId) params.set("appId", appId);
  for (const [name, value] of Object.entries(filters)) if (value.trim()) params.set(name, value.trim());
  return params;
}

/** The audit log with filters, paging and CSV export; with `appId`, one app's entries and its keys'. */
export function AuditLog({ appId, tenantFilter, title = "Audit log" }: { appId?: string; tenantFilter?: string; title?: string }) {
  const initial = tenantFilter ? { ...noFilters, targetType: "tenant", targetId: tenantFilter } : noFilters;
  const [draft, setDraft] = useState<AuditFilters>(initial);
  const [filters, setFilters] = useState<AuditFilters>(initial);
  const search = toSearch(filters, appId);
  const audit = useInfiniteQuery({
    queryKey: ["admin", "audit", search.toString()],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams(search);
      if (pageParam) params.set("cursor", pageParam);
      return apiFetch<AuditPage>(`/api/admin/audit?${params.toString()}`);
    },
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: 10_000,
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setFilters(draft);
  }
  const field = (name: keyof AuditFilters, label: string, props: { type?: string; placeholder?: string } = {}) => (
    <label className="field">
      <span className="label-text">{label}</span>
      <input
        type={props.type ?? "text"}
        value={draft[name]}
        placeholder={props.placeholder}
        onChange={(event) => setDraft((current) => ({ ...current, [name]: event.target.value }))}
      />
    </label>
  );
  const entries = audit.data?.pages.flatMap((page) => page.entries) ?? [];
  const filtered = Object.values(filters).some((value) => value.trim() !== "");
  return (
    <section className="card stack" aria-labelledby="audit-heading">
      <div className="section-header">
        <h2 id="audit-heading">{title}</h2>
        <a className="small-button button-link" href={`/api/admin/audit/export?${search.toString()}`} download>
          Export CSV
        </a>
      </div>
      <form className="form-grid three-col-form" onSubmit={onSubmit} aria-label="Filter audit entries">
        {field("actor", "Actor email", { placeholder: "e.g. ada@ or system" })}
        {field("action", "Action", { placeholder: "e.g. app.suspend or app." })}
        {!appId && field("targetType", "Target type", { placeholder: "app, api_key, tenant, plan…" })}
        {!appId && field("targetId", "Target id")}
        {field("from", "From (UTC)", { type: "date" })}
        {field("to", "To (UTC)", { type: "date" })}
        <div className="actions full">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {filtered && (
            <button
              type="button"
              onClick={() => {
                setDraft(noFilters);
                setFilters(noFilters);
              }}
            >
              Clear filters
            </button>
          )}
        </div>
      </form>
      {audit.isPending ? (
        <SkeletonBlock rows={4} label="Loading audit log" />
      ) : audit.isError ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : entries.length === 0 ? (
        <p className="empty">{filtered ? "No audit entries match these filters." : "No audit entries yet."}</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Audit entries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td data-label="When" className="nowrap">
                    {formatDateTime(entry.at)}
                  </td>
                  <td data-label="Who">{entry.actorEmail ?? "system"}</td>
                  <td data-label="Action">
                    <code className="nowrap">{entry.action}</code>
                  </td>
                  <td data-label="Target" className="small">
                    {entry.targetName ?? entry.targetType}
                    <div className="muted">
                      <code className="breakable">{entry.targetId}</code>
                    </div>
                  </td>
                  <td data-label="Change" className="wide audit-change">
                    <AuditDiff changes={entry.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {audit.hasNextPage && (
        <button type="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          {audit.isFetchingNextPage ? "Loading…" : "Load older entries"}
        </button>
      )}
    </section>
  );
}
