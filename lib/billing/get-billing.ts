import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { periodTotals } from "@/lib/usage/period-totals";
import { describePaymentMethod, TEST_CARDS } from "./payment-provider";
import { projectedPeriodCostMinor } from "./pricing";
import { toLedgerEntryView, toPaymentAttemptView } from "./to-billing-views";

const LEDGER_PAGE = 50;
const ATTEMPTS_PAGE = 20;

/** Balance, auto-recharge, recent ledger and payment attempts, this period's charges and a projection. */
export async function getBilling(db: Db, input: { appId: string; now?: Date }) {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({
    where: { id: input.appId },
    select: {
      id: true,
      billingAnchor: true,
      plan: true,
      billingAccount: {
        include: {
          ledgerEntries: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: LEDGER_PAGE },
          paymentAttempts: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: ATTEMPTS_PAGE },
        },
      },
    },
  });
  if (!app?.billingAccount) throw notFound("App");
  const account = app.billingAccount;
  const period = billingPeriodAt(app.billingAnchor, now);
  const row = await db.usagePeriod.findUnique({ where: { appId_start: { appId: app.id, start: period.start } } });
  return {
    balanceMinor: account.balanceMinor,
    currency: "USD",
    autoRecharge: {
      enabled: account.autoRechargeEnabled,
      thresholdMinor: account.autoRechargeThresholdMinor,
      amountMinor: account.autoRechargeAmountMinor,
    },
    paymentMethod: describePaymentMethod(account.paymentMethodRef),
    ledger: account.ledgerEntries.map(toLedgerEntryView),
    attempts: account.paymentAttempts.map(toPaymentAttemptView),
    overageCostMinor: row?.overageCostMinor ?? 0,
    projectedCostMinor: projectedPeriodCostMinor({ sheet: app.plan, totals: periodTotals(row), period, now }),
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    testCards: TEST_CARDS.map((card) => ({ number: card.number, outcome: card.outcome })),
  };
}
