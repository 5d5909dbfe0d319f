// Stores the card a confirmed SetupIntent saved as the account's payment method. Both the browser (the
// confirm route, right after Stripe.js confirms) and Stripe (the setup_intent.succeeded webhook) call it;
// the SetupIntent is always read back from Stripe, so neither caller's word about the card is taken.
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { SETUP_ACCOUNT_METADATA } from "./create-card-setup";
import { describePaymentMethod } from "./payment-provider";
import type { StripePaymentProvider } from "./stripe-provider";

export type SavedCardView = NonNullable<ReturnType<typeof describePaymentMethod>>;

/**
 * `appId` (from the route) must be the app the SetupIntent was made for; the webhook passes none. The
 * SetupIntent's customer must be the account's team's customer, so a SetupIntent id from another team
 * saves nothing. Saving the card already on file changes nothing and writes no audit entry.
 * `onlyWithoutCard` (the webhook): a card is filled in only where none is on file, because an event can
 * arrive late — after the owner replaced that card through the page — and must not put the old one back.
 */
export async function saveSetupIntentCard(
  db: Db,
  stripe: StripePaymentProvider,
  input: { setupIntentId: string; actor: Actor; appId?: string; onlyWithoutCard?: boolean },
): Promise<{ paymentMethod: SavedCardView; changed: boolean }> {
  const intent = await stripe.retrieveSetupIntent(input.setupIntentId);
  const accountId = intent.metadata[SETUP_ACCOUNT_METADATA];
  const account = accountId
    ? await db.billingAccount.findUnique({
        where: { id: accountId },
        select: { id: true, tenantId: true, paymentMethodRef: true, paymentMethodLast4: true, tenant: { select: { stripeCustomerId: true } } },
      })
    : null;
  // Saved from an app's page: the card must be for that app's team.
  const askingTenantId = input.appId === undefined ? undefined : (await db.app.findUnique({ where: { id: input.appId }, select: { tenantId: true } }))?.tenantId;
  const belongs =
    account && (input.appId === undefined || account.tenantId === askingTenantId) && intent.customerId !== null && account.tenant.stripeCustomerId === intent.customerId;
  if (!account || !belongs) throw notFound("Card setup");
  if (intent.status !== "succeeded" || !intent.card) {
    throw new DomainError("unprocessable", "The card is not confirmed yet: finish adding it in the card form", { field: "setupIntentId" });
  }
  const card = intent.card;
  const paymentMethod: SavedCardView = { ref: card.paymentMethodRef, brand: card.brand, last4: card.last4 };
  const changed = await db.$transaction(async (tx) => {
    const updated = await tx.billingAccount.updateMany({
      where: { id: account.id, OR: input.onlyWithoutCard ? [{ paymentMethodRef: null }] : [{ paymentMethodRef: null }, { paymentMethodRef: { not: card.paymentMethodRef } }] },
      data: { paymentMethodRef: card.paymentMethodRef, paymentMethodBrand: card.brand, paymentMethodLast4: card.last4 },
    });
    if (updated.count === 0) return false;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "billing.payment_method",
      targetType: "tenant",
      targetId: account.tenantId,
      before: { paymentMethod: account.paymentMethodLast4 ?? account.paymentMethodRef?.slice(-4) ?? null },
      after: { paymentMethod: card.last4, brand: card.brand },
    });
    await recordRelayChange(tx, { tenantId: account.tenantId });
    return true;
  });
  if (changed) notifyRelaysOfChange({ kind: "billing" });
  return { paymentMethod, changed };
}
