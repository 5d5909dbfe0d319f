// Reading and setting an app's spend guardrails (the cap and the auto-recharge ceiling).
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { spendCapReached } from "./spend-cap";
import type { SpendControlsBody, SpendControlsView } from "./spend-controls.types";

export async function getSpendControls(db: Db, input: { appId: string; now?: Date }): Promise<SpendControlsView> {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({
    where: { id: input.appId },
    select: { billingAnchor: true, spendControls: true, billingAccount: { select: { id: true } } },
  });
  if (!app?.billingAccount) throw notFound("App");
  const period = billingPeriodAt(app.billingAnchor, now);
  const [usage, recharged] = await Promise.all([
    db.usagePeriod.findUnique({ where: { appId_start: { appId: input.appId, start: period.start } }, select: { overageCostMinor: true } }),
    db.paymentAttempt.aggregate({
      where: { billingAccountId: app.billingAccount.id, kind: "auto_recharge", status: "succeeded", createdAt: { gte: period.start } },
      _sum: { amountMinor: true },
    }),
  ]);
  const capMinor = app.spendControls?.monthlySpendCapMinor ?? null;
  const spentMinor = usage?.overageCostMinor ?? 0;
  return {
    monthlySpendCapMinor: capMinor,
    autoRechargeMonthlyCeilingMinor: app.spendControls?.autoRechargeMonthlyCeilingMinor ?? null,
    usageChargesThisPeriodMinor: spentMinor,
    autoRechargedThisPeriodMinor: recharged._sum.amountMinor ?? 0,
    spendCapReached: spendCapReached(capMinor, spentMinor),
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
  };
}

/**
 * Saves both guardrails. A cap below what was already charged this period is allowed: it stops further
 * charges at once (nothing is refunded). Relays are told at once, since the cap changes the balance
 * they see.
 */
export async function setSpendControls(db: Db, input: { actor: Actor; appId: string; controls: SpendControlsBody }): Promise<SpendControlsView> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, spendControls: true } });
    if (!app) throw notFound("App");
    await tx.appSpendControls.upsert({ where: { appId: app.id }, create: { appId: app.id, ...input.controls }, update: input.controls });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "billing.spend_controls",
      targetType: "app",
      targetId: app.id,
      before: {
        monthlySpendCapMinor: app.spendControls?.monthlySpendCapMinor ?? null,
        autoRechargeMonthlyCeilingMinor: app.spendControls?.autoRechargeMonthlyCeilingMinor ?? null,
      },
      after: input.controls,
    });
    await recordRelayChange(tx, { appId: app.id });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return getSpendControls(db, { appId: input.appId });
}
