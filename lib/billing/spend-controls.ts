// Reading and setting spend guardrails: an app's own cap (per billing period of the app), and the
// team's cap and auto-recharge ceiling (per calendar month, over all its apps: issue 27).
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt, calendarMonthAt } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { spendCapReached } from "./spend-cap";
import type { SpendControlsBody, SpendControlsView } from "./spend-controls.types";
import { lockTeamAccount, teamAccount, teamUsageChargesMinor } from "./team-account";

export async function getSpendControls(db: Db, input: { appId: string; now?: Date }): Promise<SpendControlsView> {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { tenantId: true, billingAnchor: true, spendControls: true } });
  if (!app) throw notFound("App");
  const account = await teamAccount(db, app.tenantId);
  const period = billingPeriodAt(app.billingAnchor, now);
  const month = calendarMonthAt(now);
  const [usage, teamSpentMinor, recharged] = await Promise.all([
    db.usagePeriod.findUnique({ where: { appId_start: { appId: input.appId, start: period.start } }, select: { overageCostMinor: true } }),
    teamUsageChargesMinor(db, { billingAccountId: account.id, now }),
    db.paymentAttempt.aggregate({
      where: { billingAccountId: account.id, kind: "auto_recharge", status: "succeeded", createdAt: { gte: month.start } },
      _sum: { amountMinor: true },
    }),
  ]);
  const capMinor = app.spendControls?.monthlySpendCapMinor ?? null;
  const spentMinor = usage?.overageCostMinor ?? 0;
  return {
    monthlySpendCapMinor: capMinor,
    usageChargesThisPeriodMinor: spentMinor,
    spendCapReached: spendCapReached([{ capMinor, spentMinor }]),
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    team: {
      monthlySpendCapMinor: account.monthlySpendCapMinor,
      autoRechargeMonthlyCeilingMinor: account.autoRechargeMonthlyCeilingMinor,
      usageChargesThisMonthMinor: teamSpentMinor,
      autoRechargedThisMonthMinor: recharged._sum.amountMinor ?? 0,
      spendCapReached: spendCapReached([{ capMinor: account.monthlySpendCapMinor, spentMinor: teamSpentMinor }]),
      monthStart: month.start.toISOString(),
      monthEnd: month.end.toISOString(),
    },
  };
}

/**
 * Saves the app's cap and the team's guardrails. A cap below what was already charged is allowed: it
 * stops further charges at once (nothing is refunded). Relays are told at once, since a cap changes the
 * balance they see: the app's own cap its relays, the team's every app of the team.
 */
export async function setSpendControls(db: Db, input: { actor: Actor; appId: string; controls: SpendControlsBody }): Promise<SpendControlsView> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, tenantId: true, spendControls: true } });
    if (!app) throw notFound("App");
    const account = await lockTeamAccount(tx, app.tenantId);
    const { monthlySpendCapMinor } = input.controls;
    const teamMonthlySpendCapMinor = input.controls.teamMonthlySpendCapMinor === undefined ? account.monthlySpendCapMinor : input.controls.teamMonthlySpendCapMinor;
    const autoRechargeMonthlyCeilingMinor =
      input.controls.autoRechargeMonthlyCeilingMinor === undefined ? account.autoRechargeMonthlyCeilingMinor : input.controls.autoRechargeMonthlyCeilingMinor;
    await tx.appSpendControls.upsert({ where: { appId: app.id }, create: { appId: app.id, monthlySpendCapMinor }, update: { monthlySpendCapMinor } });
    await tx.billingAccount.update({ where: { id: account.id }, data: { monthlySpendCapMinor: teamMonthlySpendCapMinor, autoRechargeMonthlyCeilingMinor } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "billing.spend_controls",
      targetType: "app",
      targetId: app.id,
      before: {
        monthlySpendCapMinor: app.spendControls?.monthlySpendCapMinor ?? null,
        teamMonthlySpendCapMinor: account.monthlySpendCapMinor,
        autoRechargeMonthlyCeilingMinor: account.autoRechargeMonthlyCeilingMinor,
      },
      after: { monthlySpendCapMinor, teamMonthlySpendCapMinor, autoRechargeMonthlyCeilingMinor, tenantId: app.tenantId },
    });
    const teamChanged = teamMonthlySpendCapMinor !== account.monthlySpendCapMinor || autoRechargeMonthlyCeilingMinor !== account.autoRechargeMonthlyCeilingMinor;
    await recordRelayChange(tx, teamChanged ? { tenantId: app.tenantId } : { appId: app.id });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "billing" });
  return getSpendControls(db, { appId: input.appId });
}
