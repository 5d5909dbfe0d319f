"use client";
// App settings: webhook endpoints (add, remove, send a test event) and each endpoint's delivery log.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { formatDateTime } from "@/components/format";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, FormError } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import styles from "./notifications.module.css";
import { notificationKeys } from "./queries";

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  secretPrefix: string;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventType: string;
  eventTitle: string;
  status: "pending" | "succeeded" | "failed" | "skipped";
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

const base = (appId: string) => `/api/apps/${encodeURIComponent(appId)}/webhooks`;

export function WebhookEndpointsSection({ appId }: { appId: string }) {
  const queryClient = useQueryClient();
  const endpoints = useQuery({ queryKey: notificationKeys.webhooks(appId), queryFn: async () => (await apiFetch<{ endpoints: Endpoint[] }>(base(appId))).endpoints });
  const [url, setUrl] = useState("");
  const [revealed, setRevealed] = useState<{ url: string; secret: string } | null>(null);
  const add = useMutation({
    mutationFn: () => apiFetch<{ endpoint: Endpoint; secret: string }>(base(appId), { method: "POST", body: { url: url.trim() } }),
    onSuccess: ({ endpoint, secret }) => {
      setRevealed({ url: endpoint.url, secret });
      setUrl("");
      void queryClient.invalidateQueries({ queryKey: notificationKeys.webhooks(appId) });
    },
  });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    add.mutate();
  }
  return (
    <section className="card stack" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p className="muted small">
        Tollgate POSTs every alert of this app as JSON to these URLs, signed with HMAC-SHA256 (<code>Tollgate-Signature</code>, <code>Tollgate-Timestamp</code>
        ). Failed deliveries are retried with exponential backoff.
      </p>
      {revealed && (
        <div className="reveal card" role="status">
          <strong>Signing secret for {revealed.url}</strong>
          <span className="small">Shown once: store it where your receiver can verify signatures.</span>
          <code data-testid="webhook-secret">{revealed.secret}</code>
          <div className="actions">
            <CopyButton text={revealed.secret} label="Copy secret" />
            <button type="button" onClick={() => setRevealed(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <form className="inline-form" onSubmit={onSubmit} aria-label="Add webhook endpoint" noValidate>
        <Field label="Endpoint URL" error={fieldError(add.error, "url")}>
          <input type="url" placeholder="https://example.com/hooks/tollgate" value={url} onChange={(event) => setUrl(event.target.value)} />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add endpoint"}
          </button>
        </div>
        <FormError error={add.error} shownFields={["url"]} />
      </form>
      {endpoints.isError && <p className="small text-critical">{endpoints.error.message}</p>}
      {endpoints.data?.length === 0 && <p className="muted small">No endpoints yet.</p>}
      {endpoints.data?.map((endpoint) => <EndpointRow key={endpoint.id} appId={appId} endpoint={endpoint} />)}
    </section>
  );
}

function EndpointRow({ appId, endpoint }: { appId: string; endpoint: Endpoint }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [showLog, setShowLog] = useState(false);
  const path = `${base(appId)}/${encodeURIComponent(endpoint.id)}`;
  const deliveries = useQuery({
    queryKey: notificationKeys.deliveries(appId, endpoint.id),
    queryFn: async () => (await apiFetch<{ deliveries: Delivery[] }>(`${path}/deliveries`)).deliveries,
    enabled: showLog,
    refetchInterval: showLog ? 3_000 : false,
  });
  const test = useMutation({
    mutationFn: () => apiFetch<{ eventId: string }>(`${path}/test`, { method: "POST" }),
    onSuccess: () => {
      toast.show("Test event queued");
      setShowLog(true);
      void queryClient.invalidateQueries({ queryKey: notificationKeys.deliveries(appId, endpoint.id) });
    },
  });
  const remove = useMutation({
    mutationFn: () => apiFetch(path, { method: "DELETE" }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: notificationKeys.webhooks(appId) }),
  });
  return (
    <div className="card stack" data-testid="webhook-endpoint">
      <div className="inline-form">
        <code>{endpoint.url}</code>
        <span className="muted small">secret {endpoint.secretPrefix}…</span>
      </div>
      <div className="actions">
        <button type="button" className="small-button" onClick={() => test.mutate()} disabled={test.isPending}>
          Send test event
        </button>
        <button type="button" className="small-button" onClick={() => setShowLog((value) => !value)} aria-expanded={showLog}>
          {showLog ? "Hide delivery log" : "Delivery log"}
        </button>
        <button type="button" className="small-button" onClick={() => remove.mutate()} disabled={remove.isPending}>
          Remove
        </button>
      </div>
      <FormError error={test.error ?? remove.error} shownFields={[]} />
      {showLog && (
        <div className="table-wrap">
          <table className={`table ${styles.log}`} aria-label={`Deliveries to ${endpoint.url}`}>
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th className="num">Tries</th>
                <th className="num">Last response</th>
                <th>Queued</th>
              </tr>
            </thead>
            <tbody>
              {(deliveries.data ?? []).map((delivery) => (
                <tr key={delivery.id}>
                  <td>{delivery.eventType}</td>
                  <td>
                    {delivery.status}
                    {delivery.nextAttemptAt && <span className="muted"> (next try {formatDateTime(delivery.nextAttemptAt)})</span>}
                  </td>
                  <td className="num">{delivery.attempts}</td>
                  <td className="num">{delivery.lastResponseStatus ?? delivery.lastError ?? "—"}</td>
                  <td>{formatDateTime(delivery.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {deliveries.data?.length === 0 && <p className="muted small">No deliveries yet.</p>}
        </div>
      )}
    </div>
  );
}
