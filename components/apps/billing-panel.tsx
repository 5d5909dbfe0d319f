"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { apiFetch, fieldError } from "@/components/api";
import type { App, AutoRecharge, Billing, LedgerEntry, PaymentMethod } from "@/components/api-types";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { ProjectedUsageCharges } from "@/components/apps/projected-usage-charges";
import { queryKeys, useApp, useBilling } from "@/components/apps/queries";
import { cardEntryOf, topUpCardChoice } from "@/components/billing/card-entry";
import { LedgerSection } from "@/components/billing/ledger-section";
import { PaygAllowance } from "@/components/billing/payg-allowance";
import { PlanSection } from "@/components/billing/plan-section";
import { StripeCardSection } from "@/components/billing/stripe-card-section";
import { formatMoney, minorToInput, parseMoneyToMinor } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Field, FormError } from "@/components/ui/field";
import { SkeletonBlock } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { SpendControlsSection } from "@/components/notifications/spend-controls-section";

export function BillingPanel({ appId }: { appId: string }) {
  const app = useApp(appId);
  const billing = useBilling(appId);
  if (app.isPending || billing.isPending) {
    return (
      <div className="card">
        <SkeletonBlock rows={5} label="Loading plan and billing" />
      </div>
    );
  }
  if (app.isError) return <ErrorState error={app.error} onRetry={() => void app.refetch()} />;
  if (billing.isError) return <ErrorState error={billing.error} onRetry={() => void billing.refetch()} />;
  // Free has nothing to pay for: auto-recharge is hidden, and the balance says what it would be for.
  const isFree = app.data.plan.kind === "free";
  return (
    <div className="stack">
      <PlanSection app={app.data} billing={billing.data} />
      <PaygAllowance billing={billing.data} />
      {!isFree && <SpendControlsSection appId={appId} />}
      <section className="stack" aria-labelledby="team-wallet-heading" data-testid="team-wallet">
        <header className="card stack">
          <h2 id="team-wallet-heading">Team wallet: {billing.data.team.name}</h2>
          <p className="muted small">
            One balance, card and auto-recharge for all of the team&apos;s apps: every app&apos;s plan fees and usage charges are paid from it, and a top-up here is
            money for all of them. The plan, overages and this app&apos;s spend cap above are this app&apos;s own.
          </p>
        </header>
        {billing.data.stripe && <StripeCardSection appId={appId} billing={billing.data} publishableKey={billing.data.stripe.publishableKey} />}
        <div className={isFree ? "stack" : "two-col"}>
          <TopUpSection appId={appId} billing={billing.data} app={app.data} />
          {!isFree && <AutoRechargeSection appId={appId} billing={billing.data} isPayg={app.data.plan.kind === "pay_as_you_go"} />}
        </div>
        <LedgerSection appId={appId} billing={billing.data} />
      </section>
      <section className="card stack" aria-labelledby="invoices-link-heading">
        <h2 id="invoices-link-heading">Invoices</h2>
        <p className="muted small">One invoice a month for all of the team&apos;s apps: a line per app for plan fees, usage charges and credits, as a PDF, a printable view and CSV.</p>
        <div className="actions">
          <Link className="small-button" href="/team/invoices">
            View invoices
          </Link>
        </div>
      </section>
    </div>
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

function TopUpSection({ appId, billing, app }: { appId: string; billing: Billing; app: App }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [amount, setAmount] = useState("20.00");
  const [useStoredCard, setUseStoredCard] = useState(billing.paymentMethod !== null);
  const [cardNumber, setCardNumber] = useState("");
  const [amountError, setAmountError] = useState<string | undefined>();
  const cardChoice = topUpCardChoice(billing, useStoredCard);

  const topUp = useMutation({
    // One key per submission: a request the network repeats is answered, never charged twice.
    mutationFn: ({ amountMinor, idempotencyKey }: { amountMinor: number; idempotencyKey: string }) =>
      apiFetch<{ balanceMinor: number; entry: LedgerEntry }>(`/api/apps/${encodeURIComponent(appId)}/billing/top-up`, {
        method: "POST",
        body: cardChoice.chargesStoredCard ? { amountMinor } : { amountMinor, cardNumber },
        headers: { "idempotency-key": idempotencyKey },
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
    topUp.mutate({ amountMinor: minor, idempotencyKey: crypto.randomUUID() });
  }

  return (
    <section className="card stack" aria-labelledby="balance-heading">
      <h2 id="balance-heading">Team balance</h2>
      <p className="big-number" data-testid="balance">
        {formatMoney(billing.balanceMinor, billing.currency)}
      </p>
      {app.plan.kind === "free" ? (
        <p className="muted small">
          The Free plan costs nothing and has no overages, so nothing is taken from a balance here. A balance pays a paid plan&apos;s fee when you switch (and
          its overages or pay-as-you-go usage later): top up first, then change plan above.
        </p>
      ) : (
        <dl className="kv horizontal">
          <div>
            <dt>{app.plan.kind === "pay_as_you_go" ? "Usage charges so far" : "Overage cost so far"}</dt>
            <dd>{formatMoney(billing.overageCostMinor, billing.currency)}</dd>
          </div>
          <ProjectedUsageCharges amountMinor={billing.projectedCostMinor} currency={billing.currency} projection={billing.projection} />
        </dl>
      )}
      <RequiresPermission permission="billing.manage" action="top up the balance">
        <form className="form-grid" onSubmit={onSubmit} aria-label="Top up" noValidate>
          <Field label="Top-up amount (USD)" error={amountError ?? fieldError(topUp.error, "amountMinor")}>
            <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
          </Field>
          {billing.paymentMethod && cardChoice.showsCardChoice && (
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
          {cardChoice.showsCardNumber && (
            <Field label="Card number" error={fieldError(topUp.error, "cardNumber")} hint="12 to 19 digits; spaces are fine.">
              <input inputMode="numeric" autoComplete="cc-number" value={cardNumber} onChange={(event) => setCardNumber(event.target.value)} />
            </Field>
          )}
          {!cardChoice.showsCardNumber && fieldError(topUp.error, "cardNumber") && (
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
      </RequiresPermission>
    </section>
  );
}

function AutoRechargeSection({ appId, billing, isPayg }: { appId: string; billing: Billing; isPayg: boolean }) {
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

  const takesCardNumber = cardEntryOf(billing).kind === "card_number";
  // With Stripe there is no card field here: "add a card first" shows as the form's error.
  const fields = ["enabled", "thresholdMinor", "amountMinor", ...(takesCardNumber ? ["cardNumber"] : [])];
  return (
    <section className="card stack" aria-labelledby="recharge-heading">
      <h2 id="recharge-heading">Auto-recharge</h2>
      <p className="muted small">
        Tops the team&apos;s balance up when it falls below the threshold, so {isPayg ? "usage beyond the free allowance keeps" : "overages keep"} being admitted.{" "}
        {billing.paymentMethod ? `Card on file: ${billing.paymentMethod.brand} ending ${billing.paymentMethod.last4}.` : "No card on file yet."}
      </p>
      <RequiresPermission permission="billing.manage" action="change auto-recharge">
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
          {takesCardNumber && (
            <Field
              label={billing.paymentMethod ? "Replace card (optional)" : "Card number"}
              error={fieldError(save.error, "cardNumber")}
              hint={billing.paymentMethod ? "Leave empty to keep the card on file." : undefined}
            >
              <input inputMode="numeric" autoComplete="cc-number" value={cardNumber} onChange={(event) => setCardNumber(event.target.value)} />
            </Field>
          )}
          <FormError error={save.error} shownFields={fields} />
          <div className="actions">
            <button type="submit" className="primary" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save auto-recharge"}
            </button>
          </div>
        </form>
      </RequiresPermission>
    </section>
  );
}
