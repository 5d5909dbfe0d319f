"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
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

export function AuditLog({ targetId, title = "Audit log" }: { targetId?: string; title?: string }) {
  const audit = useInfiniteQuery({
    queryKey: ["admin", "audit", targetId ?? null],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams();
      if (targetId) params.set("targetId", targetId);
      if (pageParam) params.set("cursor", pageParam);
      return apiFetch<AuditPage>(`/api/admin/audit?${params.toString()}`);
    },
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: 10_000,
  });

  const entries = audit.data?.pages.flatMap((page) => page.entries) ?? [];
  return (
    <section className="card stack" aria-labelledby="audit-heading">
      <h2 id="audit-heading">{title}</h2>
      {audit.isPending ? (
        <SkeletonBlock rows={4} label="Loading audit log" />
      ) : audit.isError ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : entries.length === 0 ? (
        <p className="empty">No audit entries yet.</p>
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
                  <td data-label="When">{formatDateTime(entry.at)}</td>
                  <td data-label="Who">{entry.actorEmail ?? "system"}</td>
                  <td data-label="Action">
                    <code>{entry.action}</code>
                  </td>
                  <td data-label="Target" className="small">
                    {entry.targetType} <code>{entry.targetId}</code>
                  </td>
                  <td data-label="Change" className="wide">
                    <AuditDiff before={entry.before} after={entry.after} />
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
