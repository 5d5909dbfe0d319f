"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { Plan, PlanKind } from "@/components/api-types";
import { blankPlan, type Draft, draftFromPlan, groupTitles, kinds, type NumberSpec, numberSpecs, planChanges, priceFields, validate } from "@/components/admin/plan-draft";
import { PropagationNote } from "@/components/admin/propagation-note";
import type { RelayPropagation } from "@/components/relay-propagation";
import { formatBytes, formatLimit, formatMoney } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

/** What a customer pays on the plan, in the terms of its kind. */
export function planPriceSummary(plan: Plan): { price: string; usage: string } {
  const price = plan.monthlyPriceMinor > 0 ? `${formatMoney(plan.monthlyPriceMinor)}/mo` : "no monthly fee";
  if (plan.kind === "pay_as_you_go") {
    return {
      price,
      usage: `${formatMoney(plan.pricePer1000ConnectionMinutesMinor)} / 1k connection-min, ${formatMoney(plan.pricePer1000DeliveredMessagesMinor)} / 1k delivered, ${formatMoney(plan.pricePerGbEgressMinor)} / GB egress, after ${formatLimit(plan.freeConnectionMinutes)} min, ${formatLimit(plan.freeDeliveredMessages)} msgs, ${formatBytes(plan.freeEgressBytes)} free`,
    };
  }
  if (!plan.overagesAllowed) return { price, usage: "no overages" };
  return { price, usage: `overage ${formatMoney(plan.overagePricePer1000MessagesMinor)} / 1k msg, ${formatMoney(plan.overagePricePerConnectionMinor)} / connection over cap` };
}

export function PlanCatalog({ propagation }: { propagation: RelayPropagation }) {
  const plans = useQuery({
    queryKey: ["admin", "plans"],
    queryFn: async () => (await apiFetch<{ plans: Plan[] }>("/api/admin/plans")).plans,
  });
  const [editing, setEditing] = useState<Plan | "new" | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);

  return (
    <div className="stack">
      <div className="section-header">
        <h2>Plan catalog</h2>
        <button type="button" className="primary" onClick={() => setEditing("new")} disabled={editing === "new"}>
          New plan
        </button>
      </div>
      <PropagationNote propagation={propagation} savedAt={savedAt} />
      {editing && (
        <PlanForm
          key={editing === "new" ? "new" : editing.id}
          plan={editing === "new" ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) setSavedAt(Date.now());
          }}
        />
      )}
      {plans.isPending ? (
        <SkeletonBlock rows={5} label="Loading plans" />
      ) : plans.isError ? (
        <ErrorState error={plans.error} onRetry={() => void plans.refetch()} />
      ) : (
        <div className="table-wrap card">
          <table className="table responsive" aria-label="Plans">
            <thead>
              <tr>
                <th scope="col">Plan</th>
                <th scope="col">Kind</th>
                <th scope="col">Price</th>
                <th scope="col">Connections</th>
                <th scope="col">Messages</th>
                <th scope="col">Usage prices</th>
                <th scope="col">Apps</th>
                <th scope="col">Visibility</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {plans.data.map((plan) => (
                <tr key={plan.id}>
                  <td data-label="Plan">
                    {plan.name}
                    <div className="muted small">
                      <code>{plan.slug}</code>
                    </div>
                  </td>
                  <td data-label="Kind">{plan.kind}</td>
                  <td data-label="Price">{planPriceSummary(plan).price}</td>
                  <td data-label="Connections">{formatLimit(plan.maxConcurrentConnections)}</td>
                  <td data-label="Messages">{formatLimit(plan.maxMessagesPerPeriod)}</td>
                  <td data-label="Usage prices">{planPriceSummary(plan).usage}</td>
                  <td data-label="Apps">{plan.appCount}</td>
                  <td data-label="Visibility">{plan.isPublic ? "public" : "hidden"}</td>
                  <td className="row-actions">
                    <button type="button" className="small-button" onClick={() => setEditing(plan)} aria-label={`Edit plan ${plan.name}`}>
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

interface PlanSaved {
  plan: Plan;
  /** Only on edits that changed prices. */
  priceChange?: { affectedApps: number; appliesFrom: "next_period" | "now" } | null;
}

function PlanForm({ plan, onDone }: { plan: Plan | null; onDone(saved: boolean): void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const creating = plan === null;
  const [draft, setDraft] = useState<Draft>(() => (plan ? draftFromPlan(plan) : blankPlan));
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [applyPricesNow, setApplyPricesNow] = useState(false);
  /** The body waiting for the admin to confirm the listed changes (edits only). */
  const [confirming, setConfirming] = useState<Record<string, unknown> | null>(null);
  const [unchanged, setUnchanged] = useState(false);
  const changes = plan && Object.keys(validate(draft, false).errors).length === 0 ? planChanges(plan, draft) : [];
  const pricesEdited = changes.some((change) => (priceFields as readonly string[]).includes(change.field));

  const save = useMutation({
    mutationFn: (body: Record<string, unknown>): Promise<PlanSaved> =>
      creating
        ? apiFetch<PlanSaved>("/api/admin/plans", { method: "POST", body })
        : apiFetch<PlanSaved>(`/api/admin/plans/${encodeURIComponent(plan.id)}`, { method: "PATCH", body }),
    onSuccess: ({ plan: saved, priceChange }) => {
      void queryClient.invalidateQueries({ queryKey: ["admin"] });
      void queryClient.invalidateQueries({ queryKey: ["plans"] });
      const prices = priceChange
        ? `; new prices reach ${priceChange.affectedApps} app${priceChange.affectedApps === 1 ? "" : "s"} ${priceChange.appliesFrom === "now" ? "now" : "from their next period"}`
        : "";
      toast.show(creating ? `Plan ${saved.name} created` : `Plan ${saved.name} saved${prices}`);
      onDone(true);
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const { errors, body } = validate(draft, creating);
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0) return;
    if (creating) return save.mutate(body);
    // An edit reaches every app on the plan: it is saved only once the admin has seen what changes.
    if (changes.length === 0) return setUnchanged(true);
    setConfirming(pricesEdited ? { ...body, applyPricesNow } : body);
  }

  const errorFor = (field: string) => localErrors[field] ?? fieldError(save.error, field);
  // Editing a field the server complained about clears that complaint: it described the old value.
  function setField<K extends keyof Draft>(field: K, value: Draft[K]) {
    setDraft((current) => ({ ...current, [field]: value }));
    setUnchanged(false);
    setLocalErrors((current) => (field in current ? Object.fromEntries(Object.entries(current).filter(([name]) => name !== field)) : current));
    if (save.error && fieldError(save.error, field)) save.reset();
  }
  const shownFields = ["slug", "name", "kind", "overagesAllowed", "isPublic", ...numberSpecs.map((spec) => spec.field)];
  const groups = (Object.keys(groupTitles) as NumberSpec["group"][]).map((group) => ({ group, specs: numberSpecs.filter((spec) => spec.group === group) }));

  return (
    <form className="card stack" onSubmit={onSubmit} aria-label={creating ? "New plan" : `Edit plan ${plan.name}`} noValidate>
      <h3>{creating ? "New plan" : `Edit ${plan.name}`}</h3>
      <div className="form-grid three-col-form">
        {creating ? (
          <Field label="Slug" error={errorFor("slug")} hint="Lowercase, used in the API; cannot change later">
            <input value={draft.slug} onChange={(event) => setField("slug", event.target.value)} />
          </Field>
        ) : (
          <div className="field">
            <span className="label-text">Slug</span>
            <code>{plan.slug}</code>
          </div>
        )}
        <Field label="Name" error={errorFor("name")}>
          <input value={draft.name} onChange={(event) => setField("name", event.target.value)} maxLength={100} />
        </Field>
        <Field label="Kind" error={errorFor("kind")}>
          <select value={draft.kind} onChange={(event) => setField("kind", event.target.value as PlanKind)}>
            {kinds.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </Field>
        <label className="inline">
          <input type="checkbox" checked={draft.overagesAllowed} onChange={(event) => setField("overagesAllowed", event.target.checked)} /> Overages allowed
        </label>
        <label className="inline">
          <input type="checkbox" checked={draft.isPublic} onChange={(event) => setField("isPublic", event.target.checked)} /> Offered to customers
        </label>
      </div>
      {groups.map(({ group, specs }) => (
        <fieldset key={group} className="form-grid three-col-form">
          <legend>{groupTitles[group]}</legend>
          {specs.map((spec) => (
            <Field key={spec.field} label={spec.label} error={errorFor(spec.field)} hint={spec.nullable ? "Empty = no cap" : undefined}>
              <input inputMode="decimal" value={draft[spec.field]} onChange={(event) => setField(spec.field, event.target.value)} />
            </Field>
          ))}
        </fieldset>
      ))}
      {pricesEdited && plan && (
        <div className="banner banner-warning" role="note" aria-label="Price change">
          <p>
            <strong>
              {plan.appCount} app{plan.appCount === 1 ? "" : "s"}
            </strong>{" "}
            {plan.appCount === 1 ? "is" : "are"} on {plan.name}. New prices apply to each app from its next billing period; the running period keeps the
            prices its customers signed up to.
          </p>
          <label className="inline">
            <input type="checkbox" checked={applyPricesNow} onChange={(event) => setApplyPricesNow(event.target.checked)} /> Apply the new prices now, to the
            running period too
          </label>
        </div>
      )}
      <FormError error={save.error} shownFields={shownFields} />
      {Object.keys(localErrors).length > 0 && (
        <p className="form-error" role="alert">
          Fix the {Object.keys(localErrors).length === 1 ? "field" : `${Object.keys(localErrors).length} fields`} marked above.
        </p>
      )}
      {unchanged && (
        <p className="form-error" role="alert">
          Nothing to save: no field differs from the saved plan.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : creating ? "Create plan" : "Save plan"}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
      {plan && (
        <ConfirmDialog
          open={confirming !== null}
          title={`Save changes to ${plan.name}?`}
          confirmLabel="Save plan"
          pending={save.isPending}
          onConfirm={() => {
            if (confirming) save.mutate(confirming, { onSettled: () => setConfirming(null) });
          }}
          onCancel={() => setConfirming(null)}
        >
          <p data-testid="plan-apps-affected">
            <strong>
              {plan.appCount} app{plan.appCount === 1 ? " is" : "s are"} on {plan.name}.
            </strong>{" "}
            Changed limits apply to {plan.appCount === 1 ? "it" : "them"} at once
            {pricesEdited ? `; new prices ${applyPricesNow ? "apply now, to the running period too" : "from each app's next billing period"}, and each team is notified` : ""}.
          </p>
          <table className="table compact" aria-label="Changes">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Now</th>
                <th scope="col">After saving</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr key={change.field}>
                  <th scope="row">{change.label}</th>
                  <td className="diff-before">{change.before}</td>
                  <td className="diff-after">{change.after}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ConfirmDialog>
      )}
    </form>
  );
}
