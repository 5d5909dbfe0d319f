"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { apiFetch } from "@/components/api";
import type { Key } from "@/components/api-types";
import { queryKeys } from "@/components/apps/queries";
import { formatDate, formatDateTime, formatRelative } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { CopyButton } from "@/components/ui/copy-button";
import { useToast } from "@/components/ui/toast";
import { formatPropagationDelay, type RelayPropagation } from "@/components/relay-propagation";

const statusText: Record<Key["status"], string> = { active: "active", expiring: "expiring", expired: "expired", revoked: "revoked" };

/** The keys table with its roll and revoke actions; the list above it decides which keys it shows. */
export function KeyTable({
  appId,
  keys,
  propagation,
  label,
  onRolled,
}: {
  appId: string;
  keys: Key[];
  propagation: RelayPropagation;
  label: string;
  onRolled(result: { key: Key; secret: string | null }): void;
}) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [pendingRevoke, setPendingRevoke] = useState<Key | null>(null);
  const [pendingRoll, setPendingRoll] = useState<Key | null>(null);
  const [graceSec, setGraceSec] = useState(86_400);

  const revoke = useMutation({
    mutationFn: (key: Key) => apiFetch<{ key: Key }>(`/api/apps/${encodeURIComponent(appId)}/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" }),
    onSuccess: ({ key }) => {
      setPendingRevoke(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys(appId) });
      toast.show(`Key “${key.name}” revoked. Relays close its live connections ${formatPropagationDelay(propagation)}.`);
    },
    onError: (error) => toast.show(error.message, "error"),
  });
  const roll = useMutation({
    mutationFn: (key: Key) =>
      apiFetch<{ key: Key; secret: string | null; previous: Key }>(`/api/apps/${encodeURIComponent(appId)}/keys/${encodeURIComponent(key.id)}/roll`, {
        method: "POST",
        body: { gracePeriodSec: graceSec },
      }),
    onSuccess: (result) => {
      setPendingRoll(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys(appId) });
      toast.show(`Key “${result.key.name}” rolled`);
      onRolled(result);
    },
    onError: (error) => toast.show(error.message, "error"),
  });

  return (
    <>
      <div className="table-wrap">
        <table className="table responsive" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-key-id={key.id}>
                <td data-label="Name">{key.name}</td>
                <td data-label="Key" className="wide">
                  <span className="id-cell">
                    <code>{key.id}</code>
                    <CopyButton text={key.id} label={`${key.name} ${key.kind === "publishable" ? "publishable key" : "key id"}`} />
                  </span>
                  {key.secretPrefix && <div className="muted small nowrap">secret {key.secretPrefix}…</div>}
                </td>
                <td data-label="Kind">{key.kind}</td>
                <td data-label="Scopes">
                  <div>{key.channelPatterns.join(", ")}</div>
                  <div className="muted small">{key.actions.join(", ")}</div>
                  {key.allowedOrigins.length > 0 && <div className="muted small">origins: {key.allowedOrigins.join(", ")}</div>}
                </td>
                <td data-label="Created" className="nowrap" title={formatDateTime(key.createdAt)}>
                  {formatDate(key.createdAt)}
                </td>
                <td data-label="Last used" className="nowrap" title={formatDateTime(key.lastUsedAt)}>
                  {formatRelative(key.lastUsedAt)}
                </td>
                <td data-label="Status">
                  <span className={`badge key-${key.status}`}>{statusText[key.status]}</span>
                  {key.status === "expiring" && key.expiresAt && <div className="muted small nowrap">until {formatDateTime(key.expiresAt)}</div>}
                </td>
                <td className="row-actions">
                  {key.status === "active" && (
                    <>
                      <button type="button" className="small-button" onClick={() => setPendingRoll(key)} aria-label={`Roll key ${key.name}`}>
                        Roll
                      </button>
                      <button type="button" className="small-button danger-outline" onClick={() => setPendingRevoke(key)} aria-label={`Revoke key ${key.name}`}>
                        Revoke
                      </button>
                    </>
                  )}
                  {key.status === "expiring" && (
                    <button type="button" className="small-button danger-outline" onClick={() => setPendingRevoke(key)} aria-label={`Revoke key ${key.name}`}>
                      Revoke now
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={pendingRevoke !== null}
        title={`Revoke “${pendingRevoke?.name ?? ""}”?`}
        confirmLabel="Revoke key"
        destructive
        pending={revoke.isPending}
        onCancel={() => setPendingRevoke(null)}
        onConfirm={() => pendingRevoke && revoke.mutate(pendingRevoke)}
      >
        <p>
          Clients using <code>{pendingRevoke?.id}</code> are disconnected (close code 4001) and cannot reconnect with it. This cannot be undone.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={pendingRoll !== null}
        title={`Roll “${pendingRoll?.name ?? ""}”?`}
        confirmLabel="Roll key"
        pending={roll.isPending}
        onCancel={() => setPendingRoll(null)}
        onConfirm={() => pendingRoll && roll.mutate(pendingRoll)}
      >
        <p>A new key replaces this one. The old key keeps working for the grace period so you can deploy the new one.</p>
        <label className="field">
          Grace period
          <select value={graceSec} onChange={(event) => setGraceSec(Number(event.target.value))}>
            <option value={0}>None — stop the old key now</option>
            <option value={3_600}>1 hour</option>
            <option value={86_400}>24 hours</option>
            <option value={604_800}>7 days</option>
          </select>
        </label>
      </ConfirmDialog>
    </>
  );
}
