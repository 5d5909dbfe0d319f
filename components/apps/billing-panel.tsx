"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { apiFetch, ApiError, fieldError } from "@/components/api";
import type { App, AutoRecharge, Billing, LedgerEntry, PaymentMethod, Plan } from "@/components/api-types";
import { ProjectedUsageCharges } from "@/components/apps/projected-usage-charges";
import { queryKeys, useApp, useBilling, usePlans } from "@/components/apps/queries";
import { formatDate, formatDateTime, formatLimit, formatMoney, minorToInput, parseMoneyToMinor } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";

export function BillingPanel({ appId }: { appId: string }) {
  const app = useApp(appId);
  const billing = useBilling(appId);
  return (
    <div className="stack">
      {app.isPending ? (
        <div className="card">
          <SkeletonBlock rows={4} label="Loading plan" />
        </div>
      ) : app.isError ? (
        <ErrorState error={app.error} onRetry={() => void app.refetch()} />
      ) : (
        <PlanSection app={app.data} />
      )}
      {billing.isPending ? (
        <div className="card">
          <SkeletonBlock rows={5} label="Loading billing" />
        </div>
      ) : billing.isError ? (
        <ErrorState error={billing.error} onRetry={() => void billing.refetch()} />
      ) : (
        <>
          <div className="two-col">
            <TopUpSection appId={appId} billing={billing.data} />
            <AutoRechargeSection appId={appId} billing={billing.data} />
          </div>
          <LedgerSection billing={billing.data} />
        </>
      )}
    </div>
  );
}

function planSummary(plan: Plan): string {
  const price = plan.kind === "pay_as_you_go" ? "pay as you go" : plan.monthlyPriceMinor === 0 ? "free" : `${formatMoney(plan.monthlyPriceMinor)}/month`;
  return `${price} · ${formatLimit(plan.maxConcurrentConnections)} connections · ${formatLimit(plan.maxMessagesPerPeriod)} messages`;
}

function PlanSection({ app }: { app: App }) {
  const plans = usePlans();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [selected, setSelected] = useState(app.plan.slug);
  const [confirming, setConfirming] = useState(false);
  // The switch moves at once; it falls back to the server's value when the request settles (or fails).
  const [pendingOverages, setPendingOverages] = useState<boolean | null>(null);

  useEffect(() => setSelected(app.plan.slug), [app.plan.slug]);

  const update = useMutation({
    mutationFn: (body: { planSlug?: string; overagesEnabled?: boolean }) =>
      apiFetch<{ app: App }>(`/api/apps/${encodeURIComponent(app.id)}`, { method: "PATCH", body }),
    onSuccess: ({ app: updated }, body) => {
      queryClient.setQueryData(queryKeys.app(app.id), updated);
      void queryClient.invalidateQueries({ queryKey: ["apps"] });
      setConfirming(false);
      if (body.planSlug !== undefined) toast.show(`Plan changed to ${updated.plan.name}`);
      if (body.overagesEnabled !== undefined) toast.show(`Overages ${updated.overagesEnabled ? "enabled" : "disabled"}`);
    },
    onError: (error) => {
      setConfirming(false);
      if (!(error instanceof ApiError && error.field)) toast.show(error.message, "error");
    },
    onSettled: () => setPendingOverages(null),
  });

  const selectedPlan = plans.data?.find((plan) => plan.slug === selected);
  const overagesAllowed = app.limits.overagesAllowed;

  return (
    <section className="card stack" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Plan</h2>
      <p>
        Current plan: <strong data-testid="current-plan">{app.plan.name}</strong>{" "}
        <span className="muted">
          · billing period {formatDate(app.period.start)} – {formatDate(app.period.end)}
        </span>
      </p>
      <p className="muted small">
        Effective limits: {formatLimit(app.limits.maxConcurrentConnections)} concurrent connections, {formatLimit(app.limits.maxMessagesPerPeriod)} messages per period
        {app.override ? " (adjusted for this app by the platform administrators)" : ""}.
      </p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (selected !== app.plan.slug) setConfirming(true);
        }}
      >
        <Field label="Change plan" error={fieldError(update.error, "planSlug")} hint={selectedPlan ? planSummary(selectedPlan) : undefined}>
          <select value={selected} onChange={(event) => setSelected(event.target.value)} disabled={plans.isPending}>
            {(plans.data ?? []).map((plan) => (
              <option key={plan.slug} value={plan.slug}>
                {plan.name}
              </option>
            ))}
            {!plans.data && <option value={app.plan.slug}>{app.plan.name}</option>}
          </select>
        </Field>
        <button type="submit" className="primary" disabled={selected === app.plan.slug || update.isPending}>
          Change plan
        </button>
      </form>
      <div className="switch-row">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={pendingOverages ?? (app.overagesEnabled && overagesAllowed)}
            disabled={!overagesAllowed || update.isPending}
            aria-describedby="overages-explanation"
            onChange={(event) => {
              setPendingOverages(event.target.checked);
              update.mutate({ overagesEnabled: event.target.checked });
            }}
          />
          <span>Allow overages</span>
        </label>
        <p id="overages-explanation" className="muted small">
          {overagesAllowed
            ? "When on, connections over the cap and messages over the quota are admitted and billed at the overage rate, paid from the balance below. When off they are refused (4010) or dropped."
            : `The ${app.plan.name} plan has no overages: connections over the cap are refused (close code 4010) and messages over the quota are dropped. Change to a paid plan to turn overages on.`}
        </p>
        {fieldError(update.error, "overagesEnabled") && (
          <p className="field-error" role="alert">
            {fieldError(update.error, "overagesEnabled")}
          </p>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title={`Switch to ${selectedPlan?.name ?? selected}?`}
        confirmLabel="Change plan"
        pending={update.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => update.mutate({ planSlug: selected })}
      >
        <p>
          {selectedPlan ? planSummary(selectedPlan) : ""}. The new limits reach the relays within one plan refresh. Live connections are never dropped by a
          downgrade; new ones are checked against the new limits.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function TestCardsHint({ billing }: { billing: Billing }) {
  if (billing.testCards.length === 0) return null;
  return (
    <details className="small">
      <summary>Test cards</summary>
      <ul className="plain-list">
        {billing.testCards.map((card) => (
          <li key={card.number}>
            <code>{card.number}</code> — {card.outcome}
          </li>
        ))}
      </ul>
    </details>
  );
}

function TopUpSection({ appId, billing }: { appId: string; billing: Billing }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [amount, setAmount] = useState("20.00");
  const [useStoredCard, setUseStoredCard] = useState(billing.paymentMethod !== null);
  const [cardNumber, setCardNumber] = useState("");
  const [amountError, setAmountError] = useState<string | undefined>();
  const storedCard = useStoredCard ? billing.paymentMethod : null;

  const topUp = useMutation({
    mutationFn: (amountMinor: number) =>
      apiFetch<{ balanceMinor: number; entry: LedgerEntry }>(`/api/apps/${encodeURIComponent(appId)}/billing/top-up`, {
        method: "POST",
        body: storedCard ? { amountMinor } : { amountMinor, cardNumber },
      }),
    onSuccess: ({ balanceMinor, entry }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.billing(appId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.usage(appId) });
      toast.show(`Added ${formatMoney(entry.amountMinor)}. Balance ${formatMoney(balanceMinor)}`);
      setCardNumber("");
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    // The card number is checked by the server's schema alone, so its rules are written once.
    const minor = parseMoneyToMinor(amount);
    if (minor === null || minor < 100 || minor > 1_000_000) return setAmountError("Enter an amount between $1.00 and $10,000.00, like 20 or $1,000");
    setAmountError(undefined);
    topUp.mutate(minor);
  }

  return (
    <section className="card stack" aria-labelledby="balance-heading">
      <h2 id="balance-heading">Balance</h2>
      <p className="big-number" data-testid="balance">
        {formatMoney(billing.balanceMinor, billing.currency)}
      </p>
      <dl className="kv horizontal">
        <div>
          <dt>Overage cost so far</dt>
          <dd>{formatMoney(billing.overageCostMinor, billing.currency)}</dd>
        </div>
        <ProjectedUsageCharges amountMinor={billing.projectedCostMinor} currency={billing.currency} />
      </dl>
      <form className="form-grid" onSubmit={onSubmit} aria-label="Top up" noValidate>
        <Field label="Top-up amount (USD)" error={amountError ?? fieldError(topUp.error, "amountMinor")}>
          <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
        </Field>
        {billing.paymentMethod && (
          <fieldset className="radio-row">
            <legend>Pay with</legend>
            <label className="inline">
              <input type="radio" name="top-up-card" checked={useStoredCard} onChange={() => setUseStoredCard(true)} /> Card ending {billing.paymentMethod.last4}
            </label>
            <label className="inline">
              <input type="radio" name="top-up-card" checked={!useStoredCard} onChange={() => setUseStoredCard(false)} /> Another card
            </label>
          </fieldset>
        )}
        {!storedCard && (
          <Field label="Card number" error={fieldError(topUp.error, "cardNumber")} hint="12 to 19 digits; spaces are fine.">
            <input inputMode="numeric" autoComplete="cc-number" value={cardNumber} onChange={(event) => setCardNumber(event.target.value)} />
          </Field>
        )}
        {storedCard && fieldError(topUp.error, "cardNumber") && (
          <p className="field-error" role="alert">
            {fieldError(topUp.error, "cardNumber")}
          </p>
        )}
        <FormError error={topUp.error} shownFields={["amountMinor", "cardNumber"]} />
        <div className="actions">
          <button type="submit" className="primary" disabled={topUp.isPending}>
            {topUp.isPending ? "Charging…" : "Top up"}
          </button>
        </div>
        <TestCardsHint billing={billing} />
      </form>
    </section>
  );
}

function AutoRechargeSection({ appId, billing }: { appId: string; billing: Billing }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [enabled, setEnabled] = useState(billing.autoRecharge.enabled);
  const [threshold, setThreshold] = useState(minorToInput(billing.autoRecharge.thresholdMinor));
  const [amount, setAmount] = useState(minorToInput(billing.autoRecharge.amountMinor || 2_000));
  const [cardNumber, setCardNumber] = useState("");
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});

  const save = useMutation({
    mutationFn: (body: { enabled: boolean; thresholdMinor: number; amountMinor: number; cardNumber?: string }) =>
      apiFetch<{ autoRecharge: AutoRecharge; paymentMethod: PaymentMethod | null }>(`/api/apps/${encodeURIComponent(appId)}/billing/auto-recharge`, {
        method: "PUT",
        body,
      }),
    onSuccess: ({ autoRecharge }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.billing(appId) });
      setCardNumber("");
      toast.show(autoRecharge.enabled ? "Auto-recharge saved" : "Auto-recharge turned off");
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const thresholdMinor = parseMoneyToMinor(threshold);
    const amountMinor = parseMoneyToMinor(amount);
    if (thresholdMinor === null || thresholdMinor > 1_000_000) errors.thresholdMinor = "Enter an amount between $0.00 and $10,000.00";
    if (amountMinor === null || amountMinor < 100 || amountMinor > 1_000_000) errors.amountMinor = "Enter an amount between $1.00 and $10,000.00";
    setLocalErrors(errors);
    if (thresholdMinor === null || amountMinor === null || Object.keys(errors).length > 0) return;
    save.mutate({ enabled, thresholdMinor, amountMinor, ...(cardNumber.trim() ? { cardNumber } : {}) });
  }

  const fields = ["enabled", "thresholdMinor", "amountMinor", "cardNumber"];
  return (
    <section className="card stack" aria-labelledby="recharge-heading">
      <h2 id="recharge-heading">Auto-recharge</h2>
      <p className="muted small">
        Tops the balance up when it falls below the threshold, so overages keep being admitted.{" "}
        {billing.paymentMethod ? `Card on file: ${billing.paymentMethod.brand} ending ${billing.paymentMethod.last4}.` : "No card on file yet."}
      </p>
      <form className="form-grid" onSubmit={onSubmit} aria-label="Auto-recharge settings" noValidate>
        <label className="switch">
          <input type="checkbox" role="switch" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
          <span>Recharge automatically</span>
        </label>
        <Field label="When the balance falls below (USD)" error={localErrors.thresholdMinor ?? fieldError(save.error, "thresholdMinor")}>
          <input inputMode="decimal" value={threshold} onChange={(event) => setThreshold(event.target.value)} />
        </Field>
        <Field label="Add (USD)" error={localErrors.amountMinor ?? fieldError(save.error, "amountMinor")}>
          <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
        </Field>
        <Field
          label={billing.paymentMethod ? "Replace card (optional)" : "Card number"}
          error={fieldError(save.error, "cardNumber")}
          hint={billing.paymentMethod ? "Leave empty to keep the card on file." : undefined}
        >
          <input inputMode="numeric" autoComplete="cc-number" value={cardNumber} onChange={(event) => setCardNumber(event.target.value)} />
        </Field>
        <FormError error={save.error} shownFields={fields} />
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save auto-recharge"}
          </button>
        </div>
      </form>
    </section>
  );
}

const ledgerKindLabel: Record<LedgerEntry["kind"], string> = {
  top_up: "Top-up",
  overage_debit: "Overage",
  auto_recharge: "Auto-recharge",
  refund: "Refund",
  adjustment: "Adjustment",
};

function LedgerSection({ billing }: { billing: Billing }) {
  return (
    <section className="card stack" aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">Ledger</h2>
      {billing.ledger.length === 0 ? (
        <p className="empty">No ledger entries yet. Top-ups, overage charges and recharges appear here.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Ledger">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
              </tr>
            </thead>
            <tbody>
              {billing.ledger.map((entry) => (
                <tr key={entry.id}>
                  <td data-label="When">{formatDateTime(entry.createdAt)}</td>
                  <td data-label="Kind">{ledgerKindLabel[entry.kind]}</td>
                  <td data-label="Description">{entry.description}</td>
                  <td data-label="Amount" className={`num ${entry.amountMinor < 0 ? "text-critical" : "text-healthy"}`}>
                    {entry.amountMinor > 0 ? "+" : ""}
                    {formatMoney(entry.amountMinor, billing.currency)}
                  </td>
                  <td data-label="Balance after" className="num">
                    {formatMoney(entry.balanceAfterMinor, billing.currency)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {billing.attempts.length > 0 && (
        <details>
          <summary>Payment attempts ({billing.attempts.length})</summary>
          <div className="table-wrap">
            <table className="table responsive" aria-label="Payment attempts">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {billing.attempts.map((attempt) => (
                  <tr key={attempt.id}>
                    <td data-label="When">{formatDateTime(attempt.createdAt)}</td>
                    <td data-label="Kind">{attempt.kind === "top_up" ? "Top-up" : `Auto-recharge (${attempt.trigger})`}</td>
                    <td data-label="Result">{attempt.status === "succeeded" ? "Succeeded" : `Declined: ${attempt.failureReason ?? "unknown reason"}`}</td>
                    <td data-label="Amount" className="num">
                      {formatMoney(attempt.amountMinor, billing.currency)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}
