// Applies a relay's usage batch exactly once (ARCHITECTURE §1): the batch id is inserted in the same
// transaction as the counters, samples and ledger debits, so a retried batch (lost acknowledgement,
// relay restart) is acknowledged without being counted again, and two concurrent deliveries of one
// batch cannot both apply (the second waits on the id's unique index, then finds it taken).
import { type AppUsageDelta, CloseCode, ErrorCode, type UsageBatch, type UsageBatchResponse } from "@tollgate/relay/protocol";
import { postLedgerEntry } from "@/lib/billing/post-ledger-entry";
import { addUnits, allowanceUnitsOf, takenByPeriod, takeTeamAllowance, withFreeAllowance } from "@/lib/billing/payg-allowance";
import { planAtPeriod } from "@/lib/billing/plan-prices";
import { breakdownWithinCharge, costBreakdownDelta, incrementalCostMinor, periodCost } from "@/lib/billing/pricing";
import { chargeWithinCapMinor, loadSpendableBalances, loadSpendLimits, type SpendLimit, spendableBalanceMinor, spendCapReached } from "@/lib/billing/spend-cap";
import { lockTeamAccount, teamUsageChargesMinor } from "@/lib/billing/team-account";
import { databaseNow } from "@/lib/db-clock";
import type { Db, Prisma } from "@/lib/db";
import { detectUsageEvents } from "@/lib/notifications/detect-usage-events";
import { AHEAD_OF_DELIVERIES, enqueueJob } from "@/lib/jobs/enqueue-job";
import { JobName } from "@/lib/jobs/job-tasks";
import { queueUsageThresholdCheck } from "@/lib/notifications/check-usage-thresholds";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { periodTotals } from "./period-totals";

interface AppliedApp {
  appId: string;
  tenantId: string;
  periodStartUnix: number;
  /** The period's messagesUsed after this delta (the relay adopts it as its baseline). */
  messagesUsed: number;
  /** The team's balance after this delta. */
  balanceMinor: number;
  chargedMinor: number;
  /** The first charge of the period on a pay-as-you-go plan: from now on relays need a balance for usage. */
  allowanceUsedUp: boolean;
  /** The app's own cap (per app period) after this delta; the team's is read once the batch is applied. */
  appLimit: SpendLimit;
  /** This delta brought the app's usage charges to its cap: the app's relays must refresh. */
  capReachedNow: boolean;
  /** This delta exhausted the team's balance or reached the team's cap: every app of the team must refresh. */
  teamStateTurned: boolean;
  autoRecharge: { enabled: boolean; thresholdMinor: number };
}

function mergeCloses(existing: unknown, delta: Record<string, number>): Record<string, number> {
  const merged: Record<string, number> = {};
  if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) {
    for (const [code, count] of Object.entries(existing)) if (typeof count === "number") merged[code] = count;
  }
  for (const [code, count] of Object.entries(delta)) merged[code] = (merged[code] ?? 0) + count;
  return merged;
}

function describeCharge(delta: AppUsageDelta, cost: ReturnType<typeof periodCost>): string {
  const parts: string[] = [];
  if (cost.overageMessagesMinor > 0 || delta.overageMessages > 0) parts.push(`${delta.overageMessages} overage messages`);
  if (cost.overageConnectionsMinor > 0 || delta.overageConnections > 0) parts.push(`${delta.overageConnections} overage connections`);
  if (cost.connectionMinutesMinor + cost.deliveredMessagesMinor + cost.egressMinor > 0) parts.push("pay-as-you-go usage beyond the free allowance");
  return `Usage charges: ${parts.join(", ") || "usage"}`;
}

async function applyAppDelta(tx: Prisma.TransactionClient, batch: UsageBatch, delta: AppUsageDelta): Promise<AppliedApp | null> {
  const app = await tx.app.findUnique({
    where: { id: delta.appId },
    select: { id: true, tenantId: true, billingAnchor: true, plan: true, override: true, spendControls: true, deletedAt: true },
  });
  // Usage of a deleted app has nobody left to bill; the batch is still acknowledged.
  if (!app || app.deletedAt) return null;
  // Locked before the period row (applyUsageBatch locks the batch's team accounts first, in one order).
  const account = await lockTeamAccount(tx, app.tenantId);
  const period = billingPeriodAt(app.billingAnchor, new Date(delta.periodStartUnix * 1000));
  // ON CONFLICT DO NOTHING: the first batches of a period from several relays may race to create it
  // (an upsert would fail one of them on the unique index).
  await tx.usagePeriod.createMany({ data: [{ appId: app.id, start: period.start, end: period.end }], skipDuplicates: true });
  // Row lock: concurrent batches from several relays serialise per app and period.
  await tx.$queryRaw`SELECT id FROM "UsagePeriod" WHERE "appId" = ${app.id} AND "start" = ${period.start} FOR UPDATE`;
  const row = await tx.usagePeriod.findUniqueOrThrow({ where: { appId_start: { appId: app.id, start: period.start } } });
  const before = periodTotals(row);
  const after = {
    overageMessages: before.overageMessages + BigInt(delta.overageMessages),
    overageConnections: before.overageConnections + delta.overageConnections,
    connectionMinutes: before.connectionMinutes + BigInt(delta.connectionMinutes),
    deliveredMessages: before.deliveredMessages + BigInt(delta.deliveredMessages),
    egressBlocks: before.egressBlocks + BigInt(delta.egressBlocks),
  };
  // Usage is priced at the plan's prices in force at the period start (an admin edit reaches it next period),
  // beyond what the period took of the team's free allowance, and never past the app's spend cap or the team's.
  const sheet = await planAtPeriod(tx, app.plan, period.start);
  const takenBefore = takenByPeriod(row);
  const allowance = await takeTeamAllowance(tx, {
    billingAccountId: account.id,
    sheet,
    now: new Date(),
    wanted: allowanceUnitsOf({
      connectionMinutes: after.connectionMinutes - before.connectionMinutes,
      deliveredMessages: after.deliveredMessages - before.deliveredMessages,
      egressBlocks: after.egressBlocks - before.egressBlocks,
    }),
  });
  const takenAfter = addUnits(takenBefore, allowance.taken);
  const sheets = { before: withFreeAllowance(sheet, takenBefore), after: withFreeAllowance(sheet, takenAfter) };
  const capMinor = app.spendControls?.monthlySpendCapMinor ?? null;
  const teamLimit: SpendLimit = {
    capMinor: account.monthlySpendCapMinor,
    spentMinor: account.monthlySpendCapMinor === null ? 0 : await teamUsageChargesMinor(tx, { billingAccountId: account.id, now: new Date() }),
  };
  const chargeMinor = chargeWithinCapMinor(incrementalCostMinor(sheets, before, after), [{ capMinor, spentMinor: row.overageCostMinor }, teamLimit]);
  const spentAfterMinor = row.overageCostMinor + chargeMinor;
  const teamLimitAfter = { capMinor: teamLimit.capMinor, spentMinor: teamLimit.spentMinor + chargeMinor };
  const messagesUsed = row.messagesUsed + BigInt(delta.messagesAccepted);
  await tx.usagePeriod.update({
    where: { id: row.id },
    data: {
      messagesUsed,
      deliveredMessages: after.deliveredMessages,
      egressBytes: row.egressBytes + BigInt(delta.egressBytes),
      egressBlocks: after.egressBlocks,
      connectionMinutes: after.connectionMinutes,
      peakConcurrent: Math.max(row.peakConcurrent, delta.peakConcurrent),
      peakActiveChannels: Math.max(row.peakActiveChannels, delta.peakActiveChannels),
      overageMessages: after.overageMessages,
      overageConnections: after.overageConnections,
      softDrops: row.softDrops + BigInt(delta.softDrops),
      overageCostMinor: spentAfterMinor,
      freeConnectionMinutes: takenAfter.connectionMinutes,
      freeDeliveredMessages: takenAfter.deliveredMessages,
      freeEgressBytes: takenAfter.egressBytes,
      closesByCode: mergeCloses(row.closesByCode, delta.closesByCode),
    },
  });
  for (const sample of delta.samples) {
    const minute = new Date(Math.floor(sample.minuteUnix / 60) * 60_000);
    await tx.$executeRaw`
      INSERT INTO "UsageSample" ("appId", "minute", "messages", "delivered", "egressBytes", "connectionMinutes", "peakConcurrent", "softDrops")
      VALUES (${app.id}, ${minute}, ${sample.messages}, ${sample.delivered}, ${BigInt(sample.egressBytes)}, ${sample.connectionMinutes}, ${sample.peakConcurrent}, ${sample.softDrops})
      ON CONFLICT ("appId", "minute") DO UPDATE SET
        "messages" = "UsageSample"."messages" + EXCLUDED."messages",
        "delivered" = "UsageSample"."delivered" + EXCLUDED."delivered",
        "egressBytes" = "UsageSample"."egressBytes" + EXCLUDED."egressBytes",
        "connectionMinutes" = "UsageSample"."connectionMinutes" + EXCLUDED."connectionMinutes",
        "peakConcurrent" = GREATEST("UsageSample"."peakConcurrent", EXCLUDED."peakConcurrent"),
        "softDrops" = "UsageSample"."softDrops" + EXCLUDED."softDrops"`;
  }
  const usedKeyIds = Object.entries(delta.byKey)
    .filter(([, use]) => use.messages + use.connections > 0)
    .map(([keyId]) => keyId);
  if (usedKeyIds.length > 0) {
    await tx.apiKey.updateMany({ where: { appId: app.id, id: { in: usedKeyIds } }, data: { lastUsedAt: new Date(batch.sentAtUnixMs) } });
  }
  let balanceMinor = account.balanceMinor;
  if (chargeMinor > 0) {
    const entry = await postLedgerEntry(tx, {
      billingAccountId: account.id,
      appId: app.id,
      kind: "overage_debit",
      amountMinor: -chargeMinor,
      description: describeCharge(delta, periodCost(sheets.after, after)),
      // A batch charges each app of a team once: the app makes the reference unique in the team's account.
      reference: `${batch.batchId}:${app.id}`,
      periodStart: period.start,
      // Cut like the charge, so the invoice lines built from it never add up to more than was debited.
      breakdown: breakdownWithinCharge(costBreakdownDelta(sheets, before, after), chargeMinor),
    });
    balanceMinor = entry.balanceAfterMinor;
  }
  // Usage alerts follow the counts as a job (check-usage-thresholds.ts), queued with this commit.
  if (delta.messagesAccepted > 0 || delta.peakConcurrent > row.peakConcurrent || delta.peakActiveChannels > row.peakActiveChannels) {
    await queueUsageThresholdCheck(tx, { appId: app.id, periodStartUnix: toUnixSeconds(period.start) });
  }
  const events = detectUsageEvents({
    periodStartUnix: toUnixSeconds(period.start),
    refusedMessages: delta.softDrops,
    refusedConnections: delta.closesByCode[String(CloseCode.OverConcurrentLimit)] ?? 0,
    refusedChannels: delta.refusedSubscribes[ErrorCode.ChannelQuotaExceeded] ?? 0,
    refusedChannelPeers: delta.refusedSubscribes[ErrorCode.ChannelFull] ?? 0,
    // The team's cap when this flush reached it (announced on the app whose usage did), else the app's own.
    spend:
      !spendCapReached([teamLimit]) && spendCapReached([teamLimitAfter])
        ? { capMinor: teamLimit.capMinor, beforeMinor: teamLimit.spentMinor, afterMinor: teamLimitAfter.spentMinor }
        : { capMinor, beforeMinor: row.overageCostMinor, afterMinor: spentAfterMinor },
    balance: {
      beforeMinor: account.balanceMinor,
      afterMinor: balanceMinor,
      lowThresholdMinor: account.autoRechargeThresholdMinor,
      autoRechargeEnabled: account.autoRechargeEnabled,
    },
  });
  // Inside the batch's transaction and behind the period row lock: an event exists exactly when the
  // usage that raised it was counted, and its dedupe key absorbs any repeat.
  for (const event of events) await emitAppEvent(tx, { appId: app.id, event, now: new Date(batch.sentAtUnixMs) });
  const allowanceUsedUp = app.plan.kind === "pay_as_you_go" && row.overageCostMinor === 0 && chargeMinor > 0;
  const capReachedNow = !spendCapReached([{ capMinor, spentMinor: row.overageCostMinor }]) && spendCapReached([{ capMinor, spentMinor: spentAfterMinor }]);
  // The team's balance runs out (or its cap is reached) for all its apps at once: their relays, on every
  // node, hear it from the feed rather than each at its own next flush.
  // The team's free allowance running out turns usage of all its pay-as-you-go apps into paid usage.
  const teamStateTurned =
    (account.balanceMinor > 0 && balanceMinor <= 0) || (!spendCapReached([teamLimit]) && spendCapReached([teamLimitAfter])) || allowance.usedUpNow;
  // Usage counts never version what relays enforce; these turns of the billing state do.
  if (teamStateTurned) await recordRelayChange(tx, { tenantId: app.tenantId });
  else if (allowanceUsedUp || capReachedNow) await recordRelayChange(tx, { appId: app.id });
  return {
    appId: app.id,
    tenantId: app.tenantId,
    periodStartUnix: delta.periodStartUnix,
    messagesUsed: Number(messagesUsed),
    balanceMinor,
    chargedMinor: chargeMinor,
    allowanceUsedUp,
    appLimit: { capMinor, spentMinor: spentAfterMinor },
    capReachedNow,
    teamStateTurned,
    autoRecharge: { enabled: account.autoRechargeEnabled, thresholdMinor: account.autoRechargeThresholdMinor },
  };
}

/**
 * Applies the batch, then (outside the transaction: a payment must not hold row locks) attempts
 * auto-recharge for every app this batch charged whose balance fell to its threshold.
 */
export async function applyUsageBatch(db: Db, batch: UsageBatch): Promise<UsageBatchResponse> {
  // One delta per app: a batch listing an app twice is summed by applying the deltas in order.
  const applied = await db.$transaction(
    async (tx) => {
      const inserted = await tx.usageBatch.createMany({ data: [{ id: batch.batchId, relayId: batch.relayId }], skipDuplicates: true });
      if (inserted.count === 0) return null;
      // The team accounts first, in one order: batches charging apps of the same teams never deadlock.
      const teams = await tx.app.findMany({ where: { id: { in: batch.apps.map((delta) => delta.appId) } }, select: { tenantId: true }, distinct: ["tenantId"] });
      for (const tenantId of teams.map((team) => team.tenantId).sort()) await lockTeamAccount(tx, tenantId);
      const results: AppliedApp[] = [];
      for (const delta of batch.apps) {
        const result = await applyAppDelta(tx, batch, delta);
        if (result) results.push(result);
      }
      // Each app is answered with its team's balance after the whole batch, within its own cap and the team's.
      const spends = await loadSpendLimits(tx, { appIds: results.map((result) => result.appId) });
      return { results, spends };
    },
    { timeout: 30_000 },
  );
  if (applied === null) return answerRetriedBatch(db, batch);
  const { results, spends } = applied;
  // Taken after the commit, on the database's clock like a snapshot's: one generated later shows this
  // batch's debits (see the relay's gate), whichever replica builds it.
  const asOfUnixMs = (await databaseNow(db)).getTime();
  // Relays are told the spendable balance (spend-cap.ts): a reached cap reads as an exhausted balance.
  const balances = new Map<string, number>();
  for (const app of results) {
    const spend = spends.get(app.appId) ?? { billingAccountId: null, balanceMinor: app.balanceMinor, autoRechargeEnabled: false, limits: [] };
    balances.set(app.appId, spendableBalanceMinor(spend.balanceMinor, spend.limits));
    if (app.teamStateTurned || app.allowanceUsedUp || app.capReachedNow) notifyRelaysOfChange({ appId: app.appId, kind: "billing" });
    // The card is charged by a job, not while the relay waits for this acknowledgement (a slow provider
    // would turn into a retried batch); the relay learns the new balance from the change feed. One job
    // per team: the team's wallet is recharged once, whichever of its apps drew it down.
    if (app.chargedMinor > 0 && app.autoRecharge.enabled && spend.balanceMinor <= app.autoRecharge.thresholdMinor && !spendCapReached(spend.limits)) {
      await enqueueJob(db, JobName.autoRecharge, { appId: app.appId }, { jobKey: `${JobName.autoRecharge}:${app.tenantId}`, maxAttempts: 3, priority: AHEAD_OF_DELIVERIES });
    }
  }
  // With one delta per app period the last one listed carries the period's final count.
  const periods = new Map(results.map((app) => [`${app.appId}:${app.periodStartUnix}`, { appId: app.appId, periodStartUnix: app.periodStartUnix, messagesUsed: app.messagesUsed }]));
  return {
    applied: true,
    apps: [...balances].map(([appId, balanceMinor]) => ({ appId, balanceMinor })),
    periods: [...periods.values()],
    asOfUnixMs,
  };
}

/** A batch applied before (a retry): acknowledged with the current balances and period counts, which contain it. */
async function answerRetriedBatch(db: Db, batch: UsageBatch): Promise<UsageBatchResponse> {
  const asOfUnixMs = (await databaseNow(db)).getTime();
  const appIds = [...new Set(batch.apps.map((delta) => delta.appId))];
  const apps = await db.app.findMany({
    where: { id: { in: appIds } },
    select: { id: true, billingAnchor: true },
  });
  const periods: UsageBatchResponse["periods"] = [];
  for (const delta of batch.apps) {
    const app = apps.find((candidate) => candidate.id === delta.appId);
    if (!app) continue;
    const period = billingPeriodAt(app.billingAnchor, new Date(delta.periodStartUnix * 1000));
    const row = await db.usagePeriod.findUnique({ where: { appId_start: { appId: app.id, start: period.start } }, select: { messagesUsed: true } });
    periods.push({ appId: app.id, periodStartUnix: delta.periodStartUnix, messagesUsed: Number(row?.messagesUsed ?? 0) });
  }
  return {
    applied: false,
    apps: [...(await loadSpendableBalances(db, { appIds }))].map(([appId, balanceMinor]) => ({ appId, balanceMinor })),
    periods,
    asOfUnixMs,
  };
}
