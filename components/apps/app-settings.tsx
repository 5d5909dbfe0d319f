"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { App } from "@/components/api-types";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { queryKeys, useApp } from "@/components/apps/queries";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { WebhookEndpointsSection } from "@/components/notifications/webhook-endpoints-section";

export function AppSettings({ appId }: { appId: string }) {
  const app = useApp(appId);
  if (app.isPending) return <SkeletonBlock rows={4} label="Loading settings" />;
  if (app.isError) return <ErrorState error={app.error} onRetry={() => void app.refetch()} />;
  return (
    <div className="stack">
      <RenameForm app={app.data} />
      <WebhookEndpointsSection appId={app.data.id} />
      <DeleteSection app={app.data} />
    </div>
  );
}

function RenameForm({ app }: { app: App }) {
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [name, setName] = useState(app.name);
  useEffect(() => setName(app.name), [app.name]);

  const rename = useMutation({
    mutationFn: () => apiFetch<{ app: App }>(`/api/apps/${encodeURIComponent(app.id)}`, { method: "PATCH", body: { name: name.trim() } }),
    onSuccess: ({ app: updated }) => {
      queryClient.setQueryData(queryKeys.app(app.id), updated);
      void queryClient.invalidateQueries({ queryKey: queryKeys.apps, exact: true });
      toast.show(`Renamed to ${updated.name}`);
      // The app header is rendered on the server.
      router.refresh();
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    rename.mutate();
  }

  return (
    <section className="card stack" aria-labelledby="rename-heading">
      <h2 id="rename-heading">App name</h2>
      <form className="inline-form" onSubmit={onSubmit} aria-label="Rename app" noValidate>
        <Field label="Name" error={fieldError(rename.error, "name")}>
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={100} />
        </Field>
        <button type="submit" className="primary" disabled={rename.isPending || name.trim() === app.name}>
          {rename.isPending ? "Saving…" : "Rename"}
        </button>
      </form>
      <FormError error={rename.error} shownFields={["name"]} />
    </section>
  );
}

function DeleteSection({ app }: { app: App }) {
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");

  const remove = useMutation({
    mutationFn: () => apiFetch<{ id: string; deleted: true }>(`/api/apps/${encodeURIComponent(app.id)}`, { method: "DELETE" }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: queryKeys.app(app.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.apps, exact: true });
      toast.show(`Deleted ${app.name}`);
      router.push("/apps");
    },
    onError: (error) => toast.show(error.message, "error"),
  });

  return (
    <section className="card stack danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete this app</h2>
      <p className="muted">
        Deletes its keys and usage history. Connected clients are disconnected. This cannot be undone. The team&apos;s balance, card and invoices
        stay with the team: its other apps keep using them.
      </p>
      <RequiresPermission permission="app.delete" action="delete this app">
        <div className="actions">
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete app
          </button>
        </div>
      </RequiresPermission>
      <ConfirmDialog
        open={confirming}
        title={`Delete ${app.name}?`}
        confirmLabel="Delete app"
        destructive
        pending={remove.isPending}
        confirmDisabled={typed.trim() !== app.name}
        onCancel={() => {
          setConfirming(false);
          setTyped("");
        }}
        onConfirm={() => remove.mutate()}
      >
        <p>Type the app&apos;s name to confirm.</p>
        <label className="field">
          App name
          <input value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" />
        </label>
      </ConfirmDialog>
    </section>
  );
}
