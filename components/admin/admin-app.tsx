"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, ApiError, fieldError } from "@/components/api";
import type { AdminApp, App, EffectiveLimits, Override, Plan } from "@/components/api-types";
import { AuditLog } from "@/components/admin/audit-log";
import { BillingCorrections } from "@/components/admin/billing-corrections";
import { EffectiveLimitsCard, LiveUsageCard } from "@/components/admin/app-limits-cards";
import { PropagationNote } from "@/components/admin/propagation-note";
import type { RelayPropagation } from "@/components/relay-propagation";
import { formatDateTime, formatLimit, formatMoney } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

type NumericOverrideField =
  | "maxConcurrentConnections"
  | "maxMessagesPerPeriod"
  | "tokenBucketRefillPerSecond"
  | "tokenBucketBurst"
  | "connectAttemptsPerIpPerMinute"
  | "controlFrameRefillPerSecond"
  | "controlFrameBurst"
  | "inboundBytesPerSecond"
  | "historySize"
  | "historyTtlSeconds"
  | "maxPeersPerChannel"
  | "maxActiveChannels";

const numericFields: { field: NumericOverrideField; label: string; min: number }[] = [
  { field: "maxConcurrentConnections", label: "Max concurrent connections", min: 0 },
  { field: "maxMessagesPerPeriod", label: "Max messages per period", min: 0 },
  { field: "tokenBucketRefillPerSecond", label: "Token bucket refill per second", min: 1 },
  { field: "tokenBucketBurst", label: "Token bucket burst", min: 1 },
  { field: "connectAttemptsPerIpPerMinute", label: "Connect attempts per IP per minute", min: 1 },
  { field: "controlFrameRefillPerSecond", label: "Control frames refill per second", min: 1 },
  { field: "controlFrameBurst", label: "Control frames burst", min: 1 },
  { field: "inboundBytesPerSecond", label: "Inbound bytes per connection per second", min: 16_384 },
  { field: "historySize", label: "Channel history messages (0 = off)", min: 0 },
  { field: "historyTtlSeconds", label: "Channel history seconds (0 = off)", min: 0 },
  { field: "maxPeersPerChannel", label: "Max peers per channel", min: 1 },
  { field: "maxActiveChannels", label: "Max active channels", min: 1 },
];

function useAdminApp(appId: string) {
  return useQuery({
    queryKey: ["admin", "app", appId],
    // There is no single-app admin route: search by id and keep the exact match.
    queryFn: async () => {
      const { apps } = await apiFetch<{ apps: AdminApp[] }>(`/api/admin/apps?q=${encodeURIComponent(appId)}`);
      const app = apps.find((candidate) => candidate.id === appId);
      if (!app) throw new ApiError(404, "not_found", "App not found");
      return app;
    },
  });
}

export function AdminAppDetail({ appId, propagation }: { appId: string; propagation: RelayPropagation }) {
  const app = useAdminApp(appId);
  const plans = useQuery({
    queryKey: ["admin", "plans"],
    queryFn: async () => (await apiFetch<{ plans: Plan[] }>("/api/admin/plans")).plans,
  });

  if (app.isPending) return <SkeletonBlock rows={6} label="Loading app" />;
  if (app.isError) return <ErrorState error={app.error} onRetry={() => void app.refetch()} />;
  const plan = plans.data?.find((candidate) => candidate.id === app.data.plan.id);

  return (
    <div className="stack">
      <div className="app-header">
        <Link href="/admin" className="muted small">
          ← Tenants &amp; apps
        </Link>
        <h2>
          {app.data.name} <span className={`badge ${app.data.status}`}>{app.data.status}</span>
        </h2>
        <p className="muted small">
          <code>{app.data.id}</code> · tenant <Link href={`/admin/tenants/${encodeURIComponent(app.data.tenantId)}`}>{app.data.tenantName}</Link> · plan {app.data.plan.name} · team balance{" "}
          {formatMoney(app.data.balanceMinor)}
        </p>
        {app.data.deletedAt && (
          <p className="banner banner-warning" data-testid="deleted-banner">
            Deleted {formatDateTime(app.data.deletedAt)} by {app.data.deletedByEmail ?? "an unknown user"}. It is gone for its team, /v1 and the relays; its
            history stays here.
          </p>
        )}
      </div>
      <EffectiveLimitsCard limits={app.data.limits} />
      <div className="two-col">
        <OverrideForm app={app.data} plan={plan} propagation={propagation} />
        <LiveUsageCard appId={app.data.id} limits={app.data.limits} />
      </div>
      {!app.data.deletedAt && <SuspendCard app={app.data} propagation={propagation} />}
      <BillingCorrections appId={appId} />
      <AuditLog appId={appId} title="Audit log for this app (with its keys)" />
    </div>
  );
}

type OverrideDraft = Record<NumericOverrideField, string> & { overagesAllowed: "" | "true" | "false"; note: string };

function draftFrom(override: Override | null): OverrideDraft {
  const text = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));
  return {
    maxConcurrentConnections: text(override?.maxConcurrentConnections),
    maxMessagesPerPeriod: text(override?.maxMessagesPerPeriod),
    tokenBucketRefillPerSecond: text(override?.tokenBucketRefillPerSecond),
    tokenBucketBurst: text(override?.tokenBucketBurst),
    connectAttemptsPerIpPerMinute: text(override?.connectAttemptsPerIpPerMinute),
    controlFrameRefillPerSecond: text(override?.controlFrameRefillPerSecond),
    controlFrameBurst: text(override?.controlFrameBurst),
    inboundBytesPerSecond: text(override?.inboundBytesPerSecond),
    historySize: text(override?.historySize),
    historyTtlSeconds: text(override?.historyTtlSeconds),
    maxPeersPerChannel: text(override?.maxPeersPerChannel),
    maxActiveChannels: text(override?.maxActiveChannels),
    overagesAllowed: override?.overagesAllowed === null || override?.overagesAllowed === undefined ? "" : override.overagesAllowed ? "true" : "false",
    note: override?.note ?? "",
  };
}

function OverrideForm({ app, plan, propagation }: { app: AdminApp; plan: Plan | undefined; propagation: RelayPropagation }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [draft, setDraft] = useState<OverrideDraft>(() => draftFrom(app.override));
  const [localErrors, setLocalErrors] = useState<Partial<Record<string, string>>>({});
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [confirmClear, setConfirmClear] = useState(false);

  useEffect(() => setDraft(draftFrom(app.override)), [app.override]);

  const onSaved = (result: { override: Override | null; limits: EffectiveLimits }, message: string) => {
    queryClient.setQueryData<AdminApp>(["admin", "app", app.id], (current) => (current ? { ...current, override: result.override, limits: result.limits } : current));
    void queryClient.invalidateQueries({ queryKey: ["admin"] });
    setSavedAt(Date.now());
    setConfirmClear(false);
    toast.show(message);
  };
  const save = useMutation({
    mutationFn: (body: Record<string, number | boolean | string | null>) =>
      apiFetch<{ override: Override; limits: EffectiveLimits }>(`/api/admin/apps/${encodeURIComponent(app.id)}/override`, { method: "PUT", body }),
    onSuccess: (result) => onSaved(result, "Override saved"),
  });
  const clear = useMutation({
    mutationFn: () => apiFetch<{ override: null; limits: EffectiveLimits }>(`/api/admin/apps/${encodeURIComponent(app.id)}/override`, { method: "DELETE" }),
    onSuccess: (result) => onSaved(result, "Override removed: plan limits apply"),
    onError: (error) => toast.show(error.message, "error"),
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const body: Record<string, number | boolean | string | null> = {};
    for (const { field, label, min } of numericFields) {
      const text = draft[field].trim();
      if (text === "") {
        body[field] = null;
        continue;
      }
      const value = Number(text);
      if (!Number.isInteger(value) || value < min) errors[field] = `${label} must be a whole number of at least ${min}, or empty for the plan value`;
      else body[field] = value;
    }
    body.overagesAllowed = draft.overagesAllowed === "" ? null : draft.overagesAllowed === "true";
    body.note = draft.note.trim() === "" ? null : draft.note.trim();
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0) save.mutate(body);
  }

  // A complaint described the value it was about: editing the field (emptying it included) clears it.
  function setNumericField(field: NumericOverrideField, value: string) {
    setDraft((current) => ({ ...current, [field]: value }));
    setLocalErrors((current) => (field in current ? Object.fromEntries(Object.entries(current).filter(([name]) => name !== field)) : current));
    if (save.error && fieldError(save.error, field)) save.reset();
  }

  const planValue = (field: NumericOverrideField) => (plan ? `plan: ${formatLimit(plan[field])}` : "plan value");
  const shownFields = [...numericFields.map(({ field }) => field), "overagesAllowed", "note"];

  return (
    <section className="card stack" aria-labelledby="override-heading">
      <h3 id="override-heading">Per-app override</h3>
      <p className="muted small">Leave a field empty to use the {app.plan.name} plan&apos;s value.</p>
      <form className="form-grid two-col-form" onSubmit={onSubmit} aria-label="Override limits" noValidate>
        {numericFields.map(({ field, label }) => (
          <Field key={field} label={label} error={localErrors[field] ?? fieldError(save.error, field)}>
            <input
              inputMode="numeric"
              value={draft[field]}
              placeholder={planValue(field)}
              onChange={(event) => setNumericField(field, event.target.value)}
            />
          </Field>
        ))}
        <Field label="Overages" error={fieldError(save.error, "overagesAllowed")}>
          <select value={draft.overagesAllowed} onChange={(event) => setDraft((current) => ({ ...current, overagesAllowed: event.target.value as OverrideDraft["overagesAllowed"] }))}>
            <option value="">Plan value ({plan ? (plan.overagesAllowed ? "allowed" : "not allowed") : "…"})</option>
            <option value="true">Allowed</option>
            <option value="false">Not allowed</option>
          </select>
        </Field>
        <Field label="Note (why)" error={fieldError(save.error, "note")}>
          <input value={draft.note} maxLength={500} onChange={(event) => setDraft((current) => ({ ...current, note: event.target.value }))} />
        </Field>
        <FormError error={save.error} shownFields={shownFields} />
        <div className="actions full">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save override"}
          </button>
          {app.override && (
            <button type="button" onClick={() => setConfirmClear(true)}>
              Remove override
            </button>
          )}
        </div>
      </form>
      <PropagationNote propagation={propagation} savedAt={savedAt} />
      <ConfirmDialog
        open={confirmClear}
        title="Remove the override?"
        confirmLabel="Remove override"
        destructive
        pending={clear.isPending}
        onCancel={() => setConfirmClear(false)}
        onConfirm={() => clear.mutate()}
      >
        <p>The {app.plan.name} plan&apos;s limits apply again to this app.</p>
      </ConfirmDialog>
    </section>
  );
}

function SuspendCard({ app, propagation }: { app: AdminApp; propagation: RelayPropagation }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("");
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const suspended = app.status === "suspended";

  const change = useMutation({
    mutationFn: () =>
      apiFetch<{ app: App }>(`/api/admin/apps/${encodeURIComponent(app.id)}/${suspended ? "resume" : "suspend"}`, {
        method: "POST",
        body: suspended ? {} : { reason: reason.trim() || undefined },
      }),
    onSuccess: ({ app: updated }) => {
      queryClient.setQueryData<AdminApp>(["admin", "app", app.id], (current) => (current ? { ...current, ...updated } : current));
      void queryClient.invalidateQueries({ queryKey: ["admin"] });
      setConfirming(false);
      setSavedAt(Date.now());
      toast.show(updated.status === "suspended" ? "App suspended" : "App resumed");
    },
    onError: (error) => {
      setConfirming(false);
      toast.show(error.message, "error");
    },
  });

  return (
    <section className="card stack" aria-labelledby="status-heading">
      <h3 id="status-heading">Status</h3>
      <p>
        This app is <strong>{app.status}</strong>.{" "}
        {suspended ? "New connections are refused with close code 4012." : "Suspending closes its live connections (4012) and refuses new ones."}
      </p>
      <div className="actions">
        <button type="button" className={suspended ? "primary" : "danger"} onClick={() => setConfirming(true)}>
          {suspended ? "Resume app" : "Suspend app"}
        </button>
      </div>
      {savedAt !== null && <PropagationNote propagation={propagation} savedAt={savedAt} change={suspended ? "suspension" : "resume"} />}
      <ConfirmDialog
        open={confirming}
        title={suspended ? `Resume ${app.name}?` : `Suspend ${app.name}?`}
        confirmLabel={suspended ? "Resume app" : "Suspend app"}
        destructive={!suspended}
        pending={change.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => change.mutate()}
      >
        {suspended ? (
          <p>Clients can connect again once the relays refresh.</p>
        ) : (
          <>
            <p>Every live connection of this app is closed with 4012 and new ones are refused until you resume it.</p>
            <label className="field">
              Reason (shown to the app's team and kept in the audit log)
              <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
            </label>
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
