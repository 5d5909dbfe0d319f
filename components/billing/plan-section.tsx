"use client";
// The plan card of Plan & billing: current plan and fee state (past due, scheduled downgrade), the plan
// change with what it will cost before confirming, and the overage switch (not on pay-as-you-go).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { apiFetch, ApiError, fieldError } from "@/components/api";
import type { App, Billing, Plan } from "@/components/api-types";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { queryKeys, usePlans } from "@/components/apps/queries";
import { channelLimitsText } from "@/components/plans/plan-cards";
import { formatDate, formatDateTime, formatLimit, formatMoney } from "@/components/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import { describeProration, upgradeCharge } from "@/lib/billing/proration";

interface PlanChangeAnswer {
  app: App;
  planChange: { outcome: string; chargedMinor: number; creditedMinor: number; paidWith: "balance" | "card" | null; effectiveAt: string } | null;
}

function planSummary(plan: Plan): string {
  const price = plan.kind === "pay_as_you_go" ? "no monthly fee, usage beyond the free allowance billed" : plan.monthlyPriceMinor === 0 ? "free" : `${formatMoney(plan.monthlyPriceMinor)}/month`;
  return `${price} · ${formatLimit(plan.maxConcurrentConnections)} connections · ${formatLimit(plan.maxMessagesPerPeriod)} messages`;
}

/** What confirming will do, in money: the same proration the server applies. */
function changeConsequence(app: App, billing: Billing, current: Plan | undefined, target: Plan): string {
  const period = { start: new Date(app.period.start), end: new Date(app.period.end) };
  const now = new Date();
  const pastDue = billing.planFee.status === "past_due";
  if (current && target.monthlyPriceMinor < current.monthlyPriceMinor && !pastDue) {
    return `${current.name} stays until ${formatDate(app.period.end)} (already paid; no refund), then the app moves to ${target.name}. Nothing is charged now.`;
  }
  const charge = upgradeCharge({ currentPriceMinor: current?.monthlyPriceMinor ?? 0, currentFeePaid: !pastDue, targetPriceMinor: target.monthlyPriceMinor, period, at: now });
  if (charge.chargeMinor === 0) return "Nothing is charged: the switch takes effect at once.";
  const credit = charge.creditMinor > 0 ? `, less ${formatMoney(charge.creditMinor)} for the unused rest of ${current?.name ?? "the current plan"}` : "";
  const source =
    billing.balanceMinor >= charge.chargeMinor
      ? `from the balance (${formatMoney(billing.balanceMinor)})`
      : billing.paymentMethod
        ? `from the card ending ${billing.paymentMethod.last4} (the balance of ${formatMoney(billing.balanceMinor)} does not cover it)`
        : "— but the balance does not cover it and there is no card on file: top up first";
  return `About ${formatMoney(charge.chargeMinor)} is charged now: ${target.name} for the ${describeProration(period, now)} left in this period (${formatMoney(charge.feeMinor)})${credit}, ${source}. From ${formatDate(app.period.end)} the full ${formatMoney(target.monthlyPriceMinor)} renews each period.`;
}

export function PlanFeeBanner({ billing }: { billing: Billing }) {
  const fee = billing.planFee;
  if (fee.status === "past_due") {
    return (
      <div className="banner banner-critical" role="alert" data-testid="plan-fee-banner">
        <strong>Plan fee past due: {formatMoney(fee.amountDueMinor)}.</strong>{" "}
        {fee.limitedToFree
          ? "The grace period is over: new connections and messages follow the Free plan's limits (live connections stay) until it is paid."
          : `The plan's limits stay until ${formatDateTime(fee.graceEndsAt)}; after that the app falls back to the Free plan's limits.`}{" "}
        Top up the balance or save a new card: the fee is retried within a minute.
      </div>
    );
  }
  if (fee.scheduledPlan) {
    return (
      <div className="banner banner-info" role="status" data-testid="plan-fee-banner">
        Moving to <strong>{fee.scheduledPlan.name}</strong> on {formatDate(fee.scheduledPlan.effectiveAt)}. Choose the current plan again to stay.
      </div>
    );
  }
  return null;
}

export function PlanSection({ app, billing }: { app: App; billing: Billing }) {
  const plans = usePlans();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [selected, setSelected] = useState(app.plan.slug);
  const [confirming, setConfirming] = useState(false);
  // One key per confirmation: a retried or double-submitted request is answered, never charged twice.
  const idempotencyKey = useRef("");
  // The switch moves at once; it falls back to the server's value when the request settles (or fails).
  const [pendingOverages, setPendingOverages] = useState<boolean | null>(null);

  useEffect(() => setSelected(billing.planFee.scheduledPlan?.slug ?? app.plan.slug), [app.plan.slug, billing.planFee.scheduledPlan?.slug]);

  const update = useMutation({
    mutationFn: (body: { planSlug?: string; overagesEnabled?: boolean }) =>
      apiFetch<PlanChangeAnswer>(`/api/apps/${encodeURIComponent(app.id)}`, {
        method: "PATCH",
        body,
        headers: body.planSlug ? { "idempotency-key": idempotencyKey.current } : undefined,
      }),
    onSuccess: ({ app: updated, planChange }, body) => {
      queryClient.setQueryData(queryKeys.app(app.id), updated);
      void queryClient.invalidateQueries({ queryKey: ["apps"] });
      setConfirming(false);
      if (planChange) {
        const charged = planChange.chargedMinor > 0 ? ` · charged ${formatMoney(planChange.chargedMinor)}${planChange.paidWith === "card" ? " to the card" : " from the balance"}` : "";
        toast.show(planChange.outcome === "scheduled" ? `Plan change scheduled for ${formatDate(planChange.effectiveAt)}` : `Plan changed to ${updated.plan.name}${charged}`);
      }
      if (body.overagesEnabled !== undefined) toast.show(`Overages ${updated.overagesEnabled ? "enabled" : "disabled"}`);
    },
    onError: (error) => {
      setConfirming(false);
      if (!(error instanceof ApiError && error.field)) toast.show(error.message, "error");
    },
    onSettled: () => {
      setPendingOverages(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.billing(app.id) });
    },
  });

  const current = plans.data?.find((plan) => plan.slug === app.plan.slug);
  const selectedPlan = plans.data?.find((plan) => plan.slug === selected);
  const overagesAllowed = app.limits.overagesAllowed;
  const isPayg = app.plan.kind === "pay_as_you_go";
  const unchanged = selected === (billing.planFee.scheduledPlan?.slug ?? app.plan.slug);

  return (
    <section className="card stack" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Plan</h2>
      <PlanFeeBanner billing={billing} />
      <p>
        Current plan: <strong data-testid="current-plan">{app.plan.name}</strong>{" "}
        <span className="muted">
          · {billing.planFee.monthlyPriceMinor > 0 ? `${formatMoney(billing.planFee.monthlyPriceMinor)} per period, renews ${formatDate(billing.planFee.renewsAt)}` : "no monthly fee"} · billing period{" "}
          {formatDate(app.period.start)} – {formatDate(app.period.end)}
        </span>
      </p>
      <p className="muted small">
        Effective limits: {formatLimit(app.limits.maxConcurrentConnections)} concurrent connections, {formatLimit(app.limits.maxMessagesPerPeriod)} messages per period
        {channelLimitsText(app.limits) ? `, at most ${channelLimitsText(app.limits)}` : ""}
        {app.override ? " (adjusted for this app by the platform administrators)" : ""}.
      </p>
      <RequiresPermission permission="billing.manage" action="change the plan or overages">
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (unchanged) return;
            idempotencyKey.current = crypto.randomUUID();
            setConfirming(true);
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
          <button type="submit" className="primary" disabled={unchanged || update.isPending}>
            Change plan
          </button>
        </form>
        {!isPayg && (
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
        )}
      </RequiresPermission>
      <ConfirmDialog
        open={confirming}
        title={`Switch to ${selectedPlan?.name ?? selected}?`}
        confirmLabel="Change plan"
        pending={update.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => update.mutate({ planSlug: selected })}
      >
        <p>{selectedPlan ? planSummary(selectedPlan) : ""}.</p>
        {selectedPlan && <p data-testid="plan-change-cost">{changeConsequence(app, billing, current, selectedPlan)}</p>}
        <p className="muted small">Live connections are never dropped by a downgrade; new ones are checked against the new limits.</p>
      </ConfirmDialog>
    </section>
  );
}
