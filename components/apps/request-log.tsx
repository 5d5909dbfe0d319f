"use client";
// The app's most recent /v1 requests (the last day, newest first), so a customer can see what their
// backend sent and what it got back without adding logging of their own.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";
import { formatDateTime, formatNumber, formatRelative } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import type { ApiRequestView } from "@/lib/v1/request-log";

const REQUESTS_POLL_MS = 5_000;

function statusClass(status: number): string {
  if (status >= 500) return "badge status-server-error";
  if (status >= 400) return "badge status-client-error";
  return "badge status-ok";
}

export function RequestLog({ appId }: { appId: string }) {
  const log = useQuery({
    queryKey: ["apps", appId, "requests"],
    queryFn: () => apiFetch<{ requests: ApiRequestView[]; keptHours: number; shown: number }>(`/api/apps/${encodeURIComponent(appId)}/requests`),
    refetchInterval: REQUESTS_POLL_MS,
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="requests-heading" className="stack">
      <div className="section-header">
        <h2 id="requests-heading">Recent API requests</h2>
        {log.data && (
          <span className="muted small">
            The newest {formatNumber(log.data.shown)} <code>/v1</code> requests of the last {log.data.keptHours} h
          </span>
        )}
      </div>
      {log.isPending && <SkeletonBlock rows={3} label="Loading requests" />}
      {!log.data && log.isError && <ErrorState error={log.error} onRetry={() => void log.refetch()} />}
      {log.data && (
        <div className="card table-wrap">
          <table className="table compact" aria-label="Recent API requests">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Key</th>
                <th scope="col" className="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {log.data.requests.length === 0 ? (
                <tr>
                  <td colSpan={5} className="muted">
                    No <code>/v1</code> request in the last {log.data.keptHours} h. Requests with a secret key show here within seconds.
                  </td>
                </tr>
              ) : (
                log.data.requests.map((request, index) => (
                  <tr key={`${request.at}-${index}`} data-testid="request-row">
                    <td title={formatDateTime(request.at)}>{formatRelative(request.at)}</td>
                    <td>
                      <code>
                        {request.method} {request.path}
                      </code>
                    </td>
                    <td>
                      <span className={statusClass(request.status)}>{request.status}</span>
                    </td>
                    <td>
                      <code>{request.keyId}</code>
                    </td>
                    <td className="num">{formatNumber(request.durationMs)} ms</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
