"use client";
// The operator's details every invoice is issued from, and its payment terms.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import type { OperatorSettingsView } from "@/lib/billing/invoice-parties.types";

const FIELDS = ["name", "address", "taxId", "email", "paymentTermsDays"] as const;
const OPERATOR_URL = "/api/admin/settings/operator";

export function OperatorSettingsForm() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const settings = useQuery({ queryKey: ["admin", "operator"], queryFn: async () => (await apiFetch<{ operator: OperatorSettingsView }>(OPERATOR_URL)).operator });
  const [draft, setDraft] = useState<OperatorSettingsView | null>(null);
  const save = useMutation({
    mutationFn: (body: OperatorSettingsView) => apiFetch<{ operator: OperatorSettingsView }>(OPERATOR_URL, { method: "PUT", body }),
    onSuccess: (result) => {
      queryClient.setQueryData(["admin", "operator"], result.operator);
      setDraft(null);
      toast.show("Saved: invoices issued from now on carry these details");
    },
  });
  if (settings.isPending) return <SkeletonBlock rows={4} label="Loading invoicing settings" />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />;
  const shown = draft ?? settings.data;
  const set = (field: "name" | "address" | "taxId" | "email") => (event: { target: { value: string } }) => setDraft({ ...shown, [field]: event.target.value });
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate(shown);
  }
  return (
    <form className="card form-grid" aria-label="Operator details" onSubmit={onSubmit} noValidate>
      <h2>Operator details</h2>
      <p className="muted small">Printed as the seller on every invoice and credit note issued from now on; issued ones keep the details they were issued with.</p>
      <Field label="Operator name" error={fieldError(save.error, "name")}>
        <input value={shown.name} onChange={set("name")} maxLength={200} />
      </Field>
      <Field label="Address" error={fieldError(save.error, "address")}>
        <textarea value={shown.address} onChange={set("address")} rows={3} maxLength={1000} />
      </Field>
      <Field label="Tax id" error={fieldError(save.error, "taxId")}>
        <input value={shown.taxId} onChange={set("taxId")} maxLength={64} />
      </Field>
      <Field label="Billing contact email" error={fieldError(save.error, "email")}>
        <input type="email" value={shown.email} onChange={set("email")} maxLength={254} />
      </Field>
      <Field label="Payment terms (days)" hint="An invoice is due this many days after it is issued" error={fieldError(save.error, "paymentTermsDays")}>
        <input type="number" min={0} max={365} value={shown.paymentTermsDays} onChange={(event) => setDraft({ ...shown, paymentTermsDays: Number(event.target.value) })} />
      </Field>
      <FormError error={save.error} shownFields={FIELDS} />
      <div className="actions">
        <button type="submit" disabled={save.isPending || draft === null}>
          {save.isPending ? "Saving…" : "Save operator details"}
        </button>
      </div>
    </form>
  );
}
