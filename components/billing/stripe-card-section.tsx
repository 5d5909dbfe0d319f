"use client";
// The card on file when Stripe takes the payments: the card is typed into Stripe's own fields (Elements,
// frames served by js.stripe.com), confirmed with a SetupIntent in the browser, and only then does our
// server hear of it, as the SetupIntent's id (it reads the card back from Stripe). The card number never
// passes through Tollgate.
import type { Stripe, StripeCardElement } from "@stripe/stripe-js";
// The pure entry point: Stripe.js is fetched when the card form opens, not on every page that imports this.
import { loadStripe } from "@stripe/stripe-js/pure";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { apiFetch } from "@/components/api";
import type { Billing } from "@/components/api-types";
import { RequiresPermission } from "@/components/apps/app-permissions";
import { queryKeys } from "@/components/apps/queries";
import { FormError } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";

export function StripeCardSection({ appId, billing, publishableKey }: { appId: string; billing: Billing; publishableKey: string }) {
  const [editing, setEditing] = useState(false);
  const card = billing.paymentMethod;
  return (
    <section className="card stack" aria-labelledby="card-heading">
      <h2 id="card-heading">Card</h2>
      <p className="muted small">
        {card ? `Card on file: ${card.brand} ending ${card.last4}. Top-ups, auto-recharge and plan fees charge it.` : "No card on file yet: add one to top up, recharge automatically or pay a plan."}{" "}
        Card details go straight to Stripe; Tollgate never sees the number.
      </p>
      <RequiresPermission permission="billing.manage" action="change the card">
        {editing ? (
          <StripeCardForm appId={appId} publishableKey={publishableKey} onDone={() => setEditing(false)} />
        ) : (
          <div className="actions">
            <button type="button" className="small-button" onClick={() => setEditing(true)}>
              {card ? "Replace card" : "Add card"}
            </button>
          </div>
        )}
      </RequiresPermission>
    </section>
  );
}

interface CardSetup {
  stripe: Stripe;
  card: StripeCardElement;
  clientSecret: string;
}

function StripeCardForm({ appId, publishableKey, onDone }: { appId: string; publishableKey: string; onDone: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const mountRef = useRef<HTMLDivElement>(null);
  const [setup, setSetup] = useState<CardSetup | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const billingPath = `/api/apps/${encodeURIComponent(appId)}/billing`;

  useEffect(() => {
    let cancelled = false;
    let mounted: StripeCardElement | undefined;
    void (async () => {
      try {
        const [intent, stripe] = await Promise.all([apiFetch<{ clientSecret: string }>(`${billingPath}/setup-intent`, { method: "POST" }), loadStripe(publishableKey)]);
        if (cancelled || !mountRef.current) return;
        if (!stripe) throw new Error("Stripe's card form did not load. Check your connection and try again.");
        mounted = stripe.elements().create("card", { hidePostalCode: true });
        mounted.mount(mountRef.current);
        setSetup({ stripe, card: mounted, clientSecret: intent.clientSecret });
      } catch (caught) {
        if (!cancelled) setError(caught);
      }
    })();
    return () => {
      cancelled = true;
      mounted?.destroy();
    };
  }, [billingPath, publishableKey]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!setup) return;
    setSaving(true);
    setError(null);
    try {
      const result = await setup.stripe.confirmCardSetup(setup.clientSecret, { payment_method: { card: setup.card } });
      if (result.error) throw new Error(result.error.message ?? "Stripe did not accept the card");
      await apiFetch(`${billingPath}/setup-intent/confirm`, { method: "POST", body: { setupIntentId: result.setupIntent.id } });
      void queryClient.invalidateQueries({ queryKey: queryKeys.billing(appId) });
      toast.show("Card saved");
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="form-grid" onSubmit={(event) => void onSubmit(event)} aria-label="Card details" noValidate>
      <div ref={mountRef} className="stripe-card-element" data-testid="stripe-card-element" aria-busy={setup === null} />
      <FormError error={error} shownFields={[]} />
      <div className="actions">
        <button type="submit" className="primary" disabled={!setup || saving}>
          {saving ? "Saving…" : "Save card"}
        </button>
        <button type="button" className="small-button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
