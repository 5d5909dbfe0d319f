"use client";
// App settings: webhook endpoints (add with the events they receive, change those, remove after a
// confirmation, send a test event) and each endpoint's delivery log, with resend.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { formatDateTime } from "@/components/format";
import { CopyButton } from "@/components/ui/copy-button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, FormError } from "@/components/ui/field";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@/lib/notifications/app-event.types";
import { useToast } from "@/components/ui/toast";
import styles from "./notifications.module.css";
import { notificationKeys } from "./queries";

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  secretPrefix: string;
  /** Empty: every event type. */
  eventTypes: WebhookEventType[];
  createdAt: string;
}

const EVENT_TYPE_LABELS: Record<WebhookEventType, string> = {
  "usage.threshold": "Usage reached 75, 90 or 100 % of a limit",
  "quota.reached": "Quota reached: messages, connections or subscribes refused",
  "spend_cap.reached": "Spend cap reached",
  "balance.low": "Balance low",
  "auto_recharge.declined": "Auto-recharge declined",
  "auto_recharge.ceiling_reached": "Auto-recharge ceiling reached",
  "plan_fee.failed": "Plan fee could not be charged",
  "plan_fee.grace_ended": "Grace period ended (Free limits apply)",
  "limits.changed": "Limits changed by an admin",
  "plan.prices_changed": "Plan prices changed by an admin",
  "app.suspended": "App suspended",
};

function describeEventTypes(eventTypes: WebhookEventType[]): string {
  return eventTypes.length === 0 ? "every event" : WEBHOOK_EVENT_TYPES.filter((type) => eventTypes.includes(type)).map((type) => EVENT_TYPE_LABELS[type]).join(", ");
}

/** Checkboxes of the event types; none checked means every type. */
function EventTypeChoice({ legend, chosen, onChange, error }: { legend: string; chosen: WebhookEventType[]; onChange(next: WebhookEventType[]): void; error?: string }) {
  return (
    <fieldset className="stack">
      <legend className="small">{legend}</legend>
      <span className="muted small">Leave all unchecked to receive every event, including types added later.</span>
      {WEBHOOK_EVENT_TYPES.map((type) => (
        <label key={type} className="small">
          <input
            type="checkbox"
            checked={chosen.includes(type)}
            onChange={(event) => onChange(event.target.checked ? [...chosen, type] : chosen.filter((other) => other !== type))}
          />{" "}
          {EVENT_TYPE_LABELS[type]} <code>{type}</code>
        </label>
      ))}
      {error && <span className="small text-critical">{error}</span>}
    </fieldset>
  );
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
  const [eventTypes, setEventTypes] = useState<WebhookEventType[]>([]);
  const [revealed, setRevealed] = useState<{ url: string; secret: string } | null>(null);
  const add = useMutation({
    mutationFn: () => apiFetch<{ endpoint: Endpoint; secret: string }>(base(appId), { method: "POST", body: { url: url.trim(), eventTypes } }),
    onSuccess: ({ endpoint, secret }) => {
      setRevealed({ url: endpoint.url, secret });
      setUrl("");
      setEventTypes([]);
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
        <EventTypeChoice legend="Events to send" chosen={eventTypes} onChange={setEventTypes} error={fieldError(add.error, "eventTypes")} />
        <div className="actions">
          <button type="submit" className="primary" disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add endpoint"}
          </button>
        </div>
        <FormError error={add.error} shownFields={["url", "eventTypes"]} />
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
  const [confirmingRemove, setConfirmingRemove] = useState(false);
  const [editingEvents, setEditingEvents] = useState<WebhookEventType[] | null>(null);
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
    onSuccess: () => {
      setConfirmingRemove(false);
      void queryClient.invalidateQueries({ queryKey: notificationKeys.webhooks(appId) });
    },
  });
  const saveEvents = useMutation({
    mutationFn: (chosen: WebhookEventType[]) => apiFetch<{ endpoint: Endpoint }>(path, { method: "PATCH", body: { eventTypes: chosen } }),
    onSuccess: () => {
      setEditingEvents(null);
      toast.show("Events saved");
      void queryClient.invalidateQueries({ queryKey: notificationKeys.webhooks(appId) });
    },
  });
  const resend = useMutation({
    mutationFn: (deliveryId: string) => apiFetch<{ deliveryId: string }>(`${path}/deliveries/${encodeURIComponent(deliveryId)}/resend`, { method: "POST" }),
    onSuccess: () => {
      toast.show("Delivery queued again");
      void queryClient.invalidateQueries({ queryKey: notificationKeys.deliveries(appId, endpoint.id) });
    },
  });
  return (
    <div className="card stack" data-testid="webhook-endpoint">
      <div className="inline-form">
        <code>{endpoint.url}</code>
        <span className="muted small">secret {endpoint.secretPrefix}…</span>
      </div>
      <span className="small">Sends {describeEventTypes(endpoint.eventTypes)}.</span>
      {editingEvents !== null && (
        <form
          className="stack"
          aria-label={`Events sent to ${endpoint.url}`}
          onSubmit={(event) => {
            event.preventDefault();
            saveEvents.mutate(editingEvents);
          }}
        >
          <EventTypeChoice legend="Events to send" chosen={editingEvents} onChange={setEditingEvents} error={fieldError(saveEvents.error, "eventTypes")} />
          <div className="actions">
            <button type="submit" className="primary small-button" disabled={saveEvents.isPending}>
              {saveEvents.isPending ? "Saving…" : "Save events"}
            </button>
            <button type="button" className="small-button" onClick={() => setEditingEvents(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <div className="actions">
        <button type="button" className="small-button" onClick={() => test.mutate()} disabled={test.isPending}>
          Send test event
        </button>
        <button type="button" className="small-button" onClick={() => setShowLog((value) => !value)} aria-expanded={showLog}>
          {showLog ? "Hide delivery log" : "Delivery log"}
        </button>
        {editingEvents === null && (
          <button type="button" className="small-button" onClick={() => setEditingEvents(endpoint.eventTypes)}>
            Choose events
          </button>
        )}
        <button type="button" className="small-button" onClick={() => setConfirmingRemove(true)}>
          Remove
        </button>
      </div>
      <FormError error={test.error ?? resend.error ?? saveEvents.error} shownFields={["eventTypes"]} />
      <ConfirmDialog
        open={confirmingRemove}
        title="Remove this webhook endpoint?"
        confirmLabel="Remove endpoint"
        destructive
        pending={remove.isPending}
        onCancel={() => setConfirmingRemove(false)}
        onConfirm={() => remove.mutate()}
      >
        <p>
          Tollgate stops sending events to <code>{endpoint.url}</code> at once, and deliveries still waiting for it are dropped. Its signing secret cannot be
          recovered.
        </p>
        <FormError error={remove.error} shownFields={[]} />
      </ConfirmDialog>
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
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
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
                  <td>
                    {delivery.status !== "pending" && (
                      <button type="button" className="small-button" onClick={() => resend.mutate(delivery.id)} disabled={resend.isPending}>
                        Resend
                      </button>
                    )}
                  </td>
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
