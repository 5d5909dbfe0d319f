import { usageStatus } from "@tollgate/relay/protocol";
import { paygAllowance } from "@/lib/billing/payg-allowance";
import { planAtPeriod } from "@/lib/billing/plan-prices";
import { periodCost } from "@/lib/billing/pricing";
import { loadUsageProjection } from "@/lib/billing/project-usage-charges";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { type RelayClient, RelayUnknownAppError } from "@/lib/relay/relay-client";
import { periodTotals } from "./period-totals";
import type { UsageResponse } from "./usage.types";

/**
 * The relay's live view for `periodStartUnix`; a relay that answers but has not loaded the app yet has
 * nothing live for it. One still counting in another period (it learns of a new period moments after
 * it starts) only tells how many connections are open now.
 */
async function liveStats(relay: RelayClient, appId: string, periodStartUnix: number) {
  try {
    const stats = await relay.stats(appId);
    return stats.periodStartUnix === periodStartUnix ? stats : { ...stats, peakConcurrent: stats.concurrentNow, messagesUsed: 0 };
  } catch (error) {
    if (error instanceof RelayUnknownAppError) return { appId, concurrentNow: 0, peakConcurrent: 0, messagesUsed: 0 };
    return null;
  }
}

/**
 * The app's usage this period: counters as of the last relay flush, topped up with the relay's live
 * view (connections now, messages not yet flushed) when a relay answers. A relay that is down or slow
 * only costs the live numbers, never the response.
 */
export async function getAppUsage(db: Db, input: { appId: string; relay: RelayClient | null; now?: Date }): Promise<UsageResponse> {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({
    where: { id: input.appId },
    select: { id: true, createdAt: true, overagesEnabled: true, billingAnchor: true, plan: true, override: true, billingAccount: { select: { balanceMinor: true } } },
  });
  if (!app) throw notFound("App");
  const period = billingPeriodAt(app.billingAnchor, now);
  const [row, live] = await Promise.all([
    db.usagePeriod.findUnique({ where: { appId_start: { appId: app.id, start: period.start } } }),
    input.relay ? liveStats(input.relay, app.id, toUnixSeconds(period.start)) : Promise.resolve(null),
  ]);
  const limits = effectiveLimits(app.plan, app.override);
  const totals = periodTotals(row);
  const concurrentNow = live?.concurrentNow ?? 0;
  const peakConcurrent = Math.max(row?.peakConcurrent ?? 0, live?.peakConcurrent ?? 0);
  const messagesUsed = Math.max(Number(row?.messagesUsed ?? 0), live?.messagesUsed ?? 0);
  const sheet = await planAtPeriod(db, app.plan, period.start);
  const projection = await loadUsageProjection(db, {
    appId: app.id,
    appCreatedAt: app.createdAt,
    sheet,
    totals: { ...totals, messagesUsed: row?.messagesUsed ?? BigInt(0), egressBytes: row?.egressBytes ?? BigInt(0) },
    period,
    now,
    maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
    overagesEnabled: limits.overagesAllowed && app.overagesEnabled,
  });
  return {
    appId: app.id,
    periodStartUnix: toUnixSeconds(period.start),
    periodEndUnix: toUnixSeconds(period.end),
    concurrentNow,
    peakConcurrent,
    messagesUsed,
    overageMessages: Number(totals.overageMessages),
    overageConnections: totals.overageConnections,
    plan: {
      name: app.plan.name,
      kind: app.plan.kind,
      maxConcurrentConnections: limits.maxConcurrentConnections,
      maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
      overagesAllowed: limits.overagesAllowed,
      overagesEnabled: limits.overagesAllowed && app.overagesEnabled,
    },
    status: {
      connections: usageStatus(concurrentNow, limits.maxConcurrentConnections),
      messages: usageStatus(messagesUsed, limits.maxMessagesPerPeriod),
    },
    deliveredMessages: Number(totals.deliveredMessages),
    egressBytes: Number(row?.egressBytes ?? 0),
    connectionMinutes: Number(totals.connectionMinutes),
    softDrops: Number(row?.softDrops ?? 0),
    allowance: paygAllowance(sheet, row),
    overageCostMinor: row?.overageCostMinor ?? periodCost(sheet, totals).totalMinor,
    projectedCostMinor: projection.projectedMinor,
    balanceMinor: app.billingAccount?.balanceMinor ?? 0,
    relayReachable: live !== null,
  };
}
