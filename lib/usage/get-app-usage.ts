import { createHash } from "node:crypto";
import { usageStatus } from "@tollgate/relay/protocol";
import { loadAppAllowance, paygAllowance } from "@/lib/billing/payg-allowance";
import { planAtPeriod } from "@/lib/billing/plan-prices";
import { incrementalCostMinor, type PeriodTotals } from "@/lib/billing/pricing";
import { loadUsageProjection } from "@/lib/billing/project-usage-charges";
import { chargeWithinCapMinor, loadSpendLimits } from "@/lib/billing/spend-cap";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { combineReports, type LiveFigures, reportedBatchIds } from "./live-figures";
import type { LiveUsageSource } from "./live-usage";
import type { ShownFigures } from "./live-usage.types";
import { periodTotals } from "./period-totals";
import type { UsageResponse } from "./usage.types";

/**
 * The period's saved row and which of the reported batches it already contains, read in one snapshot: a
 * batch applied between two separate reads would be counted twice, or not at all.
 */
async function savedUsage(db: Db, appId: string, start: Date, batchIds: string[]) {
  return db.$transaction(
    async (tx) => {
      const row = await tx.usagePeriod.findUnique({ where: { appId_start: { appId, start } } });
      const applied = batchIds.length === 0 ? [] : await tx.usageBatch.findMany({ where: { id: { in: batchIds } }, select: { id: true } });
      return { row, appliedBatchIds: new Set(applied.map((batch) => batch.id)) };
    },
    { isolationLevel: "RepeatableRead" },
  );
}

/** Customers see a relay node by a stable opaque name, not by its host name. */
function nodeLabel(relayId: string): string {
  return createHash("sha256").update(relayId).digest("hex").slice(0, 8);
}

const NO_LIVE_FIGURES: LiveFigures = {
  concurrentNow: 0,
  activeChannels: 0,
  peakConcurrent: 0,
  unapplied: { messagesAccepted: 0, deliveredMessages: 0, egressBytes: 0, egressBlocks: 0, connectionMinutes: 0, overageMessages: 0, overageConnections: 0, softDrops: 0 },
  nodes: [],
};

/**
 * The app's usage this period: the saved totals (as of the last relay flush) plus what the relay nodes
 * reported counting since (docs/ARCHITECTURE.md §7, "usage freshness"), so every figure is live. A node
 * that is slow or down keeps its last report on show, marked late; no figure of the period is ever
 * shown lower than it was before.
 */
export async function getAppUsage(db: Db, input: { appId: string; live: LiveUsageSource | null; now?: Date }): Promise<UsageResponse> {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({
    where: { id: input.appId },
    select: {
      id: true,
      createdAt: true,
      overagesEnabled: true,
      billingAnchor: true,
      plan: true,
      override: true,
    },
  });
  if (!app) throw notFound("App");
  const period = billingPeriodAt(app.billingAnchor, now);
  const periodStartUnix = toUnixSeconds(period.start);
  const periodEndUnix = toUnixSeconds(period.end);
  const read = input.live ? await input.live.read(app.id) : null;
  const { row, appliedBatchIds } = await savedUsage(db, app.id, period.start, read ? reportedBatchIds(read.reports, periodStartUnix) : []);
  const live = read && input.live ? combineReports(read.reports, { periodStartUnix, appliedBatchIds, nowMs: read.atMs, lateAfterMs: input.live.timing.lateAfterMs }) : NO_LIVE_FIGURES;

  const saved = periodTotals(row);
  const liveTotals: PeriodTotals = {
    overageMessages: saved.overageMessages + BigInt(live.unapplied.overageMessages),
    overageConnections: saved.overageConnections + live.unapplied.overageConnections,
    connectionMinutes: saved.connectionMinutes + BigInt(live.unapplied.connectionMinutes),
    deliveredMessages: saved.deliveredMessages + BigInt(live.unapplied.deliveredMessages),
    egressBlocks: saved.egressBlocks + BigInt(live.unapplied.egressBlocks),
  };
  // What the next flushes will charge for the unapplied counts, priced as applying them will (the app's
  // spend cap and its team's included, beyond the team's free allowance); the balance is the team's.
  const spend = (await loadSpendLimits(db, { appIds: [app.id], now })).get(app.id) ?? { billingAccountId: null, balanceMinor: 0, autoRechargeEnabled: false, limits: [] };
  const planSheet = await planAtPeriod(db, app.plan, period.start);
  const { teamUse, pricedSheet: sheet } = await loadAppAllowance(db, { billingAccountId: spend.billingAccountId, sheet: planSheet, row, now });
  const savedCostMinor = row?.overageCostMinor ?? 0;
  const pendingCostMinor = chargeWithinCapMinor(incrementalCostMinor(sheet, saved, liveTotals), spend.limits);
  const figures: ShownFigures = {
    messagesUsed: Number(row?.messagesUsed ?? 0) + live.unapplied.messagesAccepted,
    peakConcurrent: Math.max(row?.peakConcurrent ?? 0, live.peakConcurrent, live.concurrentNow),
    deliveredMessages: Number(liveTotals.deliveredMessages),
    egressBytes: Number(row?.egressBytes ?? 0) + live.unapplied.egressBytes,
    egressBlocks: Number(liveTotals.egressBlocks),
    connectionMinutes: Number(liveTotals.connectionMinutes),
    overageMessages: Number(liveTotals.overageMessages),
    overageConnections: liveTotals.overageConnections,
    softDrops: Number(row?.softDrops ?? 0) + live.unapplied.softDrops,
    overageCostMinor: savedCostMinor + pendingCostMinor,
  };
  const shown = input.live ? await input.live.raiseShown(app.id, { startUnix: periodStartUnix, endUnix: periodEndUnix }, figures) : figures;

  const limits = effectiveLimits(app.plan, app.override);
  const projection = await loadUsageProjection(db, {
    appId: app.id,
    appCreatedAt: app.createdAt,
    sheet,
    totals: {
      overageMessages: BigInt(shown.overageMessages),
      overageConnections: shown.overageConnections,
      connectionMinutes: BigInt(shown.connectionMinutes),
      deliveredMessages: BigInt(shown.deliveredMessages),
      egressBlocks: BigInt(shown.egressBlocks),
      messagesUsed: BigInt(shown.messagesUsed),
      egressBytes: BigInt(shown.egressBytes),
    },
    period,
    now,
    maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
    overagesEnabled: limits.overagesAllowed && app.overagesEnabled,
  });

  const atMs = read?.atMs ?? now.getTime();
  const stale = live.nodes.some((node) => node.late) || (live.nodes.length === 0 && !read?.relayAnswered);
  // The figures are as old as the oldest report in them; with none, as old as the saved totals.
  const measuredAtMs = live.nodes.length > 0 ? Math.min(...live.nodes.map((node) => node.receivedAtMs)) : read?.relayAnswered ? atMs : (row?.updatedAt.getTime() ?? atMs);
  return {
    appId: app.id,
    periodStartUnix,
    periodEndUnix,
    concurrentNow: live.concurrentNow,
    activeChannels: live.activeChannels,
    peakConcurrent: shown.peakConcurrent,
    messagesUsed: shown.messagesUsed,
    overageMessages: shown.overageMessages,
    overageConnections: shown.overageConnections,
    plan: {
      name: app.plan.name,
      kind: app.plan.kind,
      maxConcurrentConnections: limits.maxConcurrentConnections,
      maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
      maxPeersPerChannel: limits.maxPeersPerChannel,
      maxActiveChannels: limits.maxActiveChannels,
      overagesAllowed: limits.overagesAllowed,
      overagesEnabled: limits.overagesAllowed && app.overagesEnabled,
    },
    status: {
      connections: usageStatus(live.concurrentNow, limits.maxConcurrentConnections),
      messages: usageStatus(shown.messagesUsed, limits.maxMessagesPerPeriod),
      channels: usageStatus(live.activeChannels, limits.maxActiveChannels),
    },
    deliveredMessages: shown.deliveredMessages,
    egressBytes: shown.egressBytes,
    connectionMinutes: shown.connectionMinutes,
    softDrops: shown.softDrops,
    // The team's allowance this month, shared by its pay-as-you-go apps (the plan's free amounts).
    allowance: paygAllowance(planSheet, teamUse),
    overageCostMinor: shown.overageCostMinor,
    projectedCostMinor: projection.projectedMinor,
    balanceMinor: spend.balanceMinor,
    measuredAt: new Date(measuredAtMs).toISOString(),
    stale,
    relayNodes: live.nodes.map((node) => ({ node: nodeLabel(node.relayId), measuredAt: new Date(node.receivedAtMs).toISOString(), stale: node.late })),
    relayReachable: !stale,
  };
}
