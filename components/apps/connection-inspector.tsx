"use client";
// The relays' live connections of the app (every node, asked at once) with a disconnect for owners, and
// the connections that closed lately with why. Polled while the page is open; a failed refresh keeps the
// last list on screen and says so.
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { apiFetch } from "@/components/api";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { closeCodeLabel } from "@/components/apps/close-codes";
import { formatDateTime, formatNumber, formatRelative } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import type { LiveConnectionsView } from "@/lib/connections/live-connections.types";

const CONNECTIONS_POLL_MS = 3_000;

function isoOf(unixMs: number): string {
  return new Date(unixMs).toISOString();
}

export function ConnectionInspector({ appId }: { appId: string }) {
  const connections = useQuery({
    queryKey: ["apps", appId, "connections"],
    queryFn: () => apiFetch<LiveConnectionsView>(`/api/apps/${encodeURIComponent(appId)}/connections`),
    refetchInterval: CONNECTIONS_POLL_MS,
    placeholderData: keepPreviousData,
  });
  const toast = useToast();
  const [confirming, setConfirming] = useState<string | null>(null);
  const kick = useMutation({
    mutationFn: (peerId: string) => apiFetch<{ peerId: string; closed: number }>(`/api/apps/${encodeURIComponent(appId)}/peers/${encodeURIComponent(peerId)}`, { method: "DELETE" }),
    onSuccess: (result) => {
      setConfirming(null);
      toast.show(result.closed === 0 ? `${result.peerId} was no longer connected` : `Disconnected ${result.peerId} (${result.closed} connection${result.closed === 1 ? "" : "s"})`, "success");
      void connections.refetch();
    },
    onError: (error) => {
      setConfirming(null);
      toast.show(error instanceof Error ? error.message : "Could not disconnect", "error");
    },
  });
  const view = connections.data;

  return (
    <section aria-labelledby="connections-heading" className="stack">
      <div className="section-header">
        <h2 id="connections-heading">Live connections</h2>
        {view && (
          <span className="muted small" data-testid="connections-summary">
            {formatNumber(view.open)} open · asked the relays {formatRelative(view.measuredAt)}
            {connections.isError ? " · not refreshing (relays out of reach)" : ""}
          </span>
        )}
      </div>
      {!view && connections.isPending && <SkeletonBlock rows={3} label="Loading connections" />}
      {!view && connections.isError && <ErrorState error={connections.error} onRetry={() => void connections.refetch()} />}
      {view && (
        <>
          {!view.allNodesAnswered && (
            <p className="banner banner-warning" role="status">
              Some relay nodes did not answer in time: their connections are missing from this list.
            </p>
          )}
          {view.open > view.connections.length && (
            <p className="muted small">
              Showing the {formatNumber(view.connections.length)} longest-open of {formatNumber(view.open)} connections.
            </p>
          )}
          <div className="card table-wrap">
            <RequiresPermission permission="connections.manage" action="disconnect peers">
              <table className="table compact" aria-label="Open connections">
                <thead>
                  <tr>
                    <th scope="col">Peer</th>
                    <th scope="col">Address</th>
                    <th scope="col">Origin</th>
                    <th scope="col">Key</th>
                    <th scope="col">Connected since</th>
                    <th scope="col">Relay node</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {view.connections.length === 0 ? (
                    <tr>
                      <td colSpan={7} className="muted">
                        No connection is open right now.
                      </td>
                    </tr>
                  ) : (
                    view.connections.map((connection) => (
                      <tr key={connection.connectionId} data-peer-id={connection.peerId}>
                        <td>
                          <code>{connection.peerId}</code>
                        </td>
                        <td>{connection.address}</td>
                        <td>{connection.origin ?? <span className="muted">none (server client)</span>}</td>
                        <td>
                          <code>{connection.keyId}</code>
                        </td>
                        <td title={formatDateTime(isoOf(connection.connectedAtUnixMs))}>{formatRelative(isoOf(connection.connectedAtUnixMs))}</td>
                        <td className="muted small">{connection.relayId}</td>
                        <td>
                          <button type="button" className="danger small-button" onClick={() => setConfirming(connection.peerId)} aria-label={`Disconnect ${connection.peerId}`}>
                            Disconnect
                          </button>
                        </td>
                      </tr>
                    ))
                  )}
                </tbody>
              </table>
            </RequiresPermission>
          </div>
          <RecentCloses view={view} />
        </>
      )}
      <ConfirmDialog
        open={confirming !== null}
        title={`Disconnect ${confirming ?? ""}?`}
        confirmLabel="Disconnect"
        destructive
        pending={kick.isPending}
        onConfirm={() => confirming && kick.mutate(confirming)}
        onCancel={() => setConfirming(null)}
      >
        <p>
          Every connection of this peer closes now, on every relay node, with code 4020 (<code>disconnected_by_owner</code>). Clients are told not to
          reconnect after 4020; the peer can connect again with a new token from your backend.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function RecentCloses({ view }: { view: LiveConnectionsView }) {
  return (
    <div className="card table-wrap">
      <h3 id="recent-closes-heading">Recently closed</h3>
      <table className="table compact" aria-labelledby="recent-closes-heading">
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col">Why</th>
            <th scope="col">Closed</th>
            <th scope="col">Open for</th>
            <th scope="col">Address</th>
          </tr>
        </thead>
        <tbody>
          {view.recentlyClosed.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                No connection has closed lately.
              </td>
            </tr>
          ) : (
            view.recentlyClosed.map((closed) => (
              <tr key={`${closed.connectionId}-${closed.closedAtUnixMs}`} data-close-code={closed.code}>
                <td>
                  <code>{closed.peerId}</code>
                </td>
                <td>
                  {closeCodeLabel(closed.code)}
                  {closed.reason && <span className="muted small"> · {closed.reason}</span>}
                </td>
                <td title={formatDateTime(isoOf(closed.closedAtUnixMs))}>{formatRelative(isoOf(closed.closedAtUnixMs))}</td>
                <td>{formatDuration(closed.closedAtUnixMs - closed.connectedAtUnixMs)}</td>
                <td>{closed.address}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <p className="muted small">Each relay node keeps its last 20 closes of this app; a restarted node forgets them.</p>
    </div>
  );
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
