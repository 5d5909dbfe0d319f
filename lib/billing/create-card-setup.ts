// Starts saving a card with Stripe: the browser gets a SetupIntent's client secret, collects the card in
// Stripe's own fields (Elements) and confirms it with Stripe, so the card number never reaches us. The
// card lands on the account through saveSetupIntentCard (the confirm route or the setup_intent.succeeded
// webhook, whichever comes first).
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { getStripeProvider, type StripePaymentProvider } from "./stripe-provider";
import { teamAccountOfApp } from "./team-account";

/** SetupIntent metadata naming the billing account the card is for. */
export const SETUP_ACCOUNT_METADATA = "tollgate_billing_account_id";

/** The Stripe provider, for the routes that exist only with Stripe. */
export function requireStripeProvider(): StripePaymentProvider {
  const stripe = getStripeProvider();
  if (!stripe) throw new DomainError("conflict", "Stripe is not configured here: cards are added with the card number form");
  return stripe;
}

/**
 * The team's Stripe customer, created the first time the team needs one. The customer belongs to the
 * team (not the app), so a team-wide billing account keeps it.
 */
export async function ensureStripeCustomer(db: Db, stripe: StripePaymentProvider, tenantId: string): Promise<string> {
  const tenant = await db.tenant.findUnique({ where: { id: tenantId }, select: { name: true, stripeCustomerId: true } });
  if (!tenant) throw notFound("Team");
  if (tenant.stripeCustomerId) return tenant.stripeCustomerId;
  const customerId = await stripe.createCustomer({ tenantId, name: tenant.name });
  // Two first saves at once get the same customer (the create is idempotent per team); either write wins.
  await db.tenant.updateMany({ where: { id: tenantId, stripeCustomerId: null }, data: { stripeCustomerId: customerId } });
  const stored = await db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { stripeCustomerId: true } });
  return stored.stripeCustomerId ?? customerId;
}

export async function createCardSetup(db: Db, stripe: StripePaymentProvider, input: { appId: string }): Promise<{ clientSecret: string; publishableKey: string }> {
  // The card is the team's (one per team, issue 27), saved from any of its apps' billing pages.
  const account = await teamAccountOfApp(db, input.appId);
  const customerId = await ensureStripeCustomer(db, stripe, account.tenantId);
  const intent = await stripe.createSetupIntent({ customerId, metadata: { [SETUP_ACCOUNT_METADATA]: account.id } });
  return { clientSecret: intent.clientSecret, publishableKey: stripe.publishableKey };
}
