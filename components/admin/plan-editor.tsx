"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PlanDefaults } from "@tollgate/relay/protocol";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { Plan, PlanKind } from "@/components/api-types";
import { PropagationNote } from "@/components/admin/propagation-note";
import type { RelayPropagation } from "@/components/relay-propagation";
import { formatBytes, formatLimit, formatMoney, minorToInput, parseMoneyToMinor } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

type NumberField = Exclude<
  { [K in keyof Plan]: Plan[K] extends number | null ? K : never }[keyof Plan],
  undefined | "appCount"
>;

interface NumberSpec {
  field: NumberField;
  label: string;
  min: number;
  /** Empty means "no cap" (null) rather than invalid. */
  nullable?: boolean;
  group: "limits" | "prices" | "included" | "display";
  /** Typed in dollars (stored in cents) or in GB (stored in bytes); a whole count otherwise. */
  unit?: "dollars" | "gb";
}

const BYTES_PER_GB = 1_000_000_000;

// Every limit a plan carries, with the bounds the API enforces, so most mistakes are caught before saving.
const numberSpecs: NumberSpec[] = [
  { field: "maxConcurrentConnections", label: "Max concurrent connections", min: 0, nullable: true, group: "limits" },
  { field: "maxMessagesPerPeriod", label: "Max messages per period", min: 0, nullable: true, group: "limits" },
  { field: "tokenBucketRefillPerSecond", label: "Token bucket refill / s", min: 1, group: "limits" },
  { field: "tokenBucketBurst", label: "Token bucket burst", min: 1, group: "limits" },
  { field: "connectAttemptsPerIpPerMinute", label: "Connect attempts per IP / min", min: 1, group: "limits" },
  { field: "controlFrameRefillPerSecond", label: "Control frames refill / s", min: 1, group: "limits" },
  { field: "controlFrameBurst", label: "Control frames burst", min: 1, group: "limits" },
  { field: "inboundBytesPerSecond", label: "Inbound bytes per connection / s", min: 16_384, group: "limits" },
  { field: "monthlyPriceMinor", label: "Monthly price ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "overagePricePer1000MessagesMinor", label: "Overage per 1,000 messages ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "overagePricePerConnectionMinor", label: "Overage per connection over cap ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePer1000ConnectionMinutesMinor", label: "Per 1,000 connection-minutes ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePer1000DeliveredMessagesMinor", label: "Per 1,000 delivered messages ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePerGbEgressMinor", label: "Per GB egress ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "freeConnectionMinutes", label: "Included connection-minutes", min: 0, group: "included" },
  { field: "freeDeliveredMessages", label: "Included delivered messages", min: 0, group: "included" },
  { field: "freeEgressBytes", label: "Included egress (GB)", min: 0, group: "included", unit: "gb" },
  { field: "sortOrder", label: "Sort order", min: -1000, group: "display" },
];

const groupTitles: Record<NumberSpec["group"], string> = {
  limits: "Limits",
  prices: "Prices",
  included: "Included usage",
  display: "Display",
};

const kinds: PlanKind[] = ["free", "tiered", "unlimited", "pay_as_you_go"];

type Draft = Record<NumberField, string> & { slug: string; name: string; kind: PlanKind; overagesAllowed: boolean; isPublic: boolean };

const blankPlan: Draft = {
  slug: "",
  name: "",
  kind: "tiered",
  overagesAllowed: true,
  isPublic: true,
  maxConcurrentConnections: "100",
  maxMessagesPerPeriod: "100000",
  tokenBucketRefillPerSecond: "100",
  tokenBucketBurst: "200",
  connectAttemptsPerIpPerMinute: "60",
  controlFrameRefillPerSecond: String(PlanDefaults.controlFrameRefillPerSecond),
  controlFrameBurst: String(PlanDefaults.controlFrameBurst),
  inboundBytesPerSecond: String(PlanDefaults.inboundBytesPerSecond),
  monthlyPriceMinor: "0.00",
  overagePricePer1000MessagesMinor: "0.00",
  overagePricePerConnectionMinor: "0.00",
  pricePer1000ConnectionMinutesMinor: "0.00",
  pricePer1000DeliveredMessagesMinor: "0.00",
  pricePerGbEgressMinor: "0.00",
  freeConnectionMinutes: "0",
  freeDeliveredMessages: "0",
  freeEgressBytes: "0",
  sortOrder: "0",
};

const priceFields: NumberField[] = numberSpecs.filter((spec) => spec.group === "prices").map((spec) => spec.field);

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

function draftFromPlan(plan: Plan): Draft {
  const draft: Draft = { ...blankPlan, slug: plan.slug, name: plan.name, kind: plan.kind, overagesAllowed: plan.overagesAllowed, isPublic: plan.isPublic };
  for (const { field, unit } of numberSpecs) {
    const value = plan[field];
    draft[field] = value === null ? "" : unit === "dollars" ? minorToInput(value) : unit === "gb" ? String(value / BYTES_PER_GB) : String(value);
  }
  return draft;
}

/** A typed value in the spec's unit as the integer the API stores; null when it is not one. */
function parseSpecValue(spec: NumberSpec, text: string): number | null {
  if (spec.unit === "dollars") return parseMoneyToMinor(text.replaceAll(",", ""));
  const value = Number(text.replaceAll(",", ""));
  if (text === "" || !Number.isFinite(value)) return null;
  if (spec.unit === "gb") return Math.round(value * BYTES_PER_GB);
  return Number.isSafeInteger(value) ? value : null;
}

function validate(draft: Draft, creating: boolean): { errors: Record<string, string>; body: Record<string, unknown> } {
  const errors: Record<string, string> = {};
  const body: Record<string, unknown> = { name: draft.name.trim(), kind: draft.kind, overagesAllowed: draft.overagesAllowed, isPublic: draft.isPublic };
  if (creating) {
    body.slug = draft.slug.trim();
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(draft.slug.trim())) errors.slug = "Use 1–40 lowercase letters, digits and dashes";
  }
  if (!draft.name.trim()) errors.name = "A plan needs a name";
  for (const spec of numberSpecs) {
    const { field, label, min, nullable, unit } = spec;
    const text = draft[field].trim();
    if (text === "" && nullable) {
      body[field] = null;
      continue;
    }
    const value = parseSpecValue(spec, text);
    if (value === null || value < min) {
      errors[field] =
        unit === "dollars"
          ? `${label}: an amount in dollars such as 12.50`
          : unit === "gb"
            ? `${label}: a number of GB such as 1.5`
            : nullable
              ? `${label}: a whole number ≥ ${min}, or empty for no cap`
              : `${label}: a whole number ≥ ${min}`;
    } else body[field] = value;
  }
  const burst = Number(draft.tokenBucketBurst);
  const refill = Number(draft.tokenBucketRefillPerSecond);
  if (!errors.tokenBucketBurst && !errors.tokenBucketRefillPerSecond && burst < refill) {
    errors.tokenBucketBurst = "The burst should be at least the refill rate, or clients are throttled below the rate";
  }
  if (!errors.controlFrameBurst && !errors.controlFrameRefillPerSecond && Number(draft.controlFrameBurst) < Number(draft.controlFrameRefillPerSecond)) {
    errors.controlFrameBurst = "The burst should be at least the refill rate, or clients are throttled below the rate";
  }
  return { errors, body };
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
  const pricesEdited = plan !== null && priceFields.some((field) => draft[field].trim() !== String(plan[field]));

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
    if (Object.keys(errors).length === 0) save.mutate(pricesEdited ? { ...body, applyPricesNow } : body);
  }

  const errorFor = (field: string) => localErrors[field] ?? fieldError(save.error, field);
  // Editing a field the server complained about clears that complaint: it described the old value.
  function setField<K extends keyof Draft>(field: K, value: Draft[K]) {
    setDraft((current) => ({ ...current, [field]: value }));
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
          <input type="checkbox" checked={draft.overagesAllowed} onChange={(event) => setDraft((current) => ({ ...current, overagesAllowed: event.target.checked }))} /> Overages allowed
        </label>
        <label className="inline">
          <input type="checkbox" checked={draft.isPublic} onChange={(event) => setDraft((current) => ({ ...current, isPublic: event.target.checked }))} /> Offered to customers
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
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : creating ? "Create plan" : "Save plan"}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
