import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { periodTotals } from "@/lib/usage/period-totals";
import { loadAppAllowance, paygAllowance } from "./payg-allowance";
import { describePaymentMethod, TEST_CARDS } from "./payment-provider";
import { planAtPeriod } from "./plan-prices";
import { getStripeProvider } from "./stripe-provider";
import { loadUsageProjection } from "./project-usage-charges";
import { teamAccount } from "./team-account";
import { toLedgerEntryView, toPaymentAttemptView } from "./to-billing-views";

const LEDGER_PAGE = 50;
const ATTEMPTS_PAGE = 20;

/**
 * The team's wallet (balance, card, auto-recharge, its ledger and card charges: issue 27) and this app's
 * plan-fee state, recent ledger and payment attempts, this period's charges and
 * an explained projection. A read: a turned period is billed by the renewal job, not here.
 */
export async function getBilling(db: Db, input: { appId: string; now?: Date }) {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({
    where: { id: input.appId },
    select: {
      id: true,
      createdAt: true,
      billingAnchor: true,
      overagesEnabled: true,
      plan: true,
      override: true,
      subscription: true,
      tenant: { select: { id: true, name: true } },
    },
  });
  if (!app) throw notFound("App");
  const { id: accountId } = await teamAccount(db, app.tenant.id);
  const account = await db.billingAccount.findUniqueOrThrow({
    where: { id: accountId },
    include: {
      ledgerEntries: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: LEDGER_PAGE },
      paymentAttempts: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: ATTEMPTS_PAGE },
    },
  });
  const period = billingPeriodAt(app.billingAnchor, now);
  const [row, sheet, scheduledPlan] = await Promise.all([
    db.usagePeriod.findUnique({ where: { appId_start: { appId: app.id, start: period.start } } }),
    planAtPeriod(db, app.plan, period.start),
    app.subscription?.scheduledPlanId ? db.plan.findUnique({ where: { id: app.subscription.scheduledPlanId }, select: { slug: true, name: true } }) : null,
  ]);
  const limits = effectiveLimits(app.plan, app.override);
  const { teamUse, pricedSheet } = await loadAppAllowance(db, { billingAccountId: account.id, sheet, row, now });
  const projection = await loadUsageProjection(db, {
    appId: app.id,
    appCreatedAt: app.createdAt,
    sheet: pricedSheet,
    totals: { ...periodTotals(row), messagesUsed: row?.messagesUsed ?? BigInt(0), egressBytes: row?.egressBytes ?? BigInt(0) },
    period,
    now,
    maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
    overagesEnabled: limits.overagesAllowed && app.overagesEnabled,
  });
  const subscription = app.subscription;
  const stripe = getStripeProvider();
  return {
    /** Whose wallet the balance, card, auto-recharge, ledger and attempts are: the app's team's. */
    team: { id: app.tenant.id, name: app.tenant.name },
    balanceMinor: account.balanceMinor,
    currency: "USD",
    autoRecharge: {
      enabled: account.autoRechargeEnabled,
      thresholdMinor: account.autoRechargeThresholdMinor,
      amountMinor: account.autoRechargeAmountMinor,
    },
    paymentMethod: describePaymentMethod(account.paymentMethodRef, { brand: account.paymentMethodBrand, last4: account.paymentMethodLast4 }),
    planFee: {
      monthlyPriceMinor: sheet.monthlyPriceMinor,
      status: subscription?.status ?? "active",
      amountDueMinor: subscription?.amountDueMinor ?? 0,
      graceEndsAt: subscription?.graceEndsAt?.toISOString() ?? null,
      /** Past due and the grace period is over: the relays apply Free's limits. */
      limitedToFree: subscription?.status === "past_due" && subscription.graceEndsAt !== null && subscription.graceEndsAt.getTime() <= now.getTime(),
      renewsAt: (subscription?.renewsAt ?? period.end).toISOString(),
      scheduledPlan: scheduledPlan ? { slug: scheduledPlan.slug, name: scheduledPlan.name, effectiveAt: period.end.toISOString() } : null,
    },
    prices: {
      overagePricePer1000MessagesMinor: sheet.overagePricePer1000MessagesMinor,
      overagePricePerConnectionMinor: sheet.overagePricePerConnectionMinor,
      pricePer1000ConnectionMinutesMinor: sheet.pricePer1000ConnectionMinutesMinor,
      pricePer1000DeliveredMessagesMinor: sheet.pricePer1000DeliveredMessagesMinor,
      pricePerGbEgressMinor: sheet.pricePerGbEgressMinor,
    },
    /** The team's allowance this month (shared by its pay-as-you-go apps). */
    allowance: paygAllowance(sheet, teamUse),
    ledger: account.ledgerEntries.map(toLedgerEntryView),
    attempts: account.paymentAttempts.map(toPaymentAttemptView),
    overageCostMinor: row?.overageCostMinor ?? 0,
    projectedCostMinor: projection.projectedMinor,
    projection,
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    // With Stripe, cards are added in Stripe's card form (Elements) with this key, and test cards do not apply.
    stripe: stripe ? { publishableKey: stripe.publishableKey } : null,
    testCards: stripe ? [] : TEST_CARDS.map((card) => ({ number: card.number, outcome: card.outcome })),
  };
}
