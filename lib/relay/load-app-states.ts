// The enforcement state of the apps a relay asks for (docs/ARCHITECTURE.md §1, internal-api.ts): by the
// key id a connection presents, or by the app ids the change feed named. Each app's effective limits,
// billing state, current period with the usage already counted, and its keys — secret keys with their
// signing secret, decrypted here and nowhere else. A relay asks only for apps it serves.
import type { AppStateRequest, AppStatesResponse, SnapshotApp, SnapshotKey } from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { loadSpendLimits, spendableBalanceMinor, spendCapReached } from "@/lib/billing/spend-cap";
import { decryptSecret } from "@/lib/keys/key-material";
import { keysInRelaySnapshot } from "@/lib/keys/tenant-key-budget";
import { isAction, keyIsUsable } from "@/lib/keys/to-key-view";
import { billingPeriodAt, calendarMonthAt, toUnixSeconds } from "@/lib/periods/billing-period";
import { NO_UNITS, teamAllowanceUsedUp } from "@/lib/billing/payg-allowance";
import { pricesInForce, priceChangesByPlan } from "@/lib/billing/plan-prices";
import { pastDueGraceExpired } from "@/lib/billing/renew-subscription";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { DEFAULT_PLAN_SLUG } from "@/lib/plans/plan-catalog";

/** The app ids asked for: a key id is resolved through its primary key first (never a scan of apps). */
async function requestedAppIds(db: Db, request: AppStateRequest): Promise<string[]> {
  if ("appIds" in request) return request.appIds;
  const key = await db.apiKey.findUnique({ where: { id: request.keyId }, select: { appId: true } });
  return key ? [key.appId] : [];
}

function loadApps(db: Db, appIds: string[], now: Date) {
  // A deleted app is not answered: relays close its connections and refuse its keys. At most
  // APP_STATES_MAX_APPS ids per request, so Prisma's relation loads bind a bounded number of parameters.
  return db.app.findMany({
    where: { deletedAt: null, id: { in: appIds } },
    select: {
      id: true,
      relayVersion: true,
      status: true,
      overagesEnabled: true,
      billingAnchor: true,
      plan: true,
      override: true,
      apiKeys: {
        // Retired keys stay a while so relays close their live connections (4001); a team's share is budgeted.
        where: keysInRelaySnapshot(now),
        orderBy: { id: "asc" },
        select: { id: true, kind: true, channelPatterns: true, actions: true, allowedOrigins: true, revokedAt: true, expiresAt: true, secretCiphertext: true },
      },
      usagePeriods: { where: { end: { gt: now } }, orderBy: { start: "asc" } },
      subscription: { select: { status: true, graceEndsAt: true } },
    },
  });
}

export async function loadRelayAppStates(db: Db, request: AppStateRequest, input: { encryptionKey: string; now?: Date }): Promise<AppStatesResponse> {
  const now = input.now ?? new Date();
  const appIds = await requestedAppIds(db, request);
  const apps = appIds.length === 0 ? [] : await loadApps(db, appIds, now);
  if (apps.length === 0) return { generatedAtUnixMs: now.getTime(), apps: [] };
  // A past-due app whose grace period is over gets Free's limits (live connections stay; new ones follow Free).
  const anyFellBack = apps.some((app) => pastDueGraceExpired(app.subscription, now));
  const freePlan = anyFellBack ? await db.plan.findUnique({ where: { slug: DEFAULT_PLAN_SLUG } }) : null;
  const oldestPeriodStart = apps.reduce((oldest, app) => Math.min(oldest, billingPeriodAt(app.billingAnchor, now).start.getTime()), now.getTime());
  const priceChanges = await priceChangesByPlan(db, new Date(oldestPeriodStart), [...new Set(apps.map((app) => app.plan.id))]);
  // The team's wallet and caps: every app of a team is told the same team balance (issue 27).
  const spends = await loadSpendLimits(db, { appIds: apps.map((app) => app.id), now });
  // The teams' free allowance this month: used up, every pay-as-you-go app of the team pays for its usage.
  const accountIds = [...new Set([...spends.values()].map((spend) => spend.billingAccountId).filter((id): id is string => id !== null))];
  const allowanceRows = await db.teamAllowanceUse.findMany({ where: { billingAccountId: { in: accountIds }, monthStart: calendarMonthAt(now).start } });
  const allowanceUse = new Map(allowanceRows.map((row) => [row.billingAccountId, row]));

  const snapshotApps: SnapshotApp[] = apps.map((app) => {
    const period = billingPeriodAt(app.billingAnchor, now);
    const fellBackToFree = freePlan !== null && pastDueGraceExpired(app.subscription, now);
    // Still within a past-due grace: the plan falls back to Free by the clock, before the period ends.
    const grace = app.subscription?.status === "past_due" && !fellBackToFree ? app.subscription.graceEndsAt : null;
    const graceEndsAt = grace && grace < period.end ? grace : null;
    const plan = fellBackToFree ? freePlan : { ...app.plan, ...pricesInForce(app.plan, priceChanges.get(app.plan.id) ?? [], period.start) };
    const limits = fellBackToFree ? effectiveLimits(freePlan, null) : effectiveLimits(app.plan, app.override);
    const usage = app.usagePeriods.find((row) => row.start.getTime() === period.start.getTime());
    const spend = spends.get(app.id) ?? { billingAccountId: null, balanceMinor: 0, autoRechargeEnabled: false, limits: [] };
    const keys: SnapshotKey[] = app.apiKeys.map((key) => {
      const usable = keyIsUsable(key, now);
      return {
        keyId: key.id,
        kind: key.kind,
        channelPatterns: key.channelPatterns,
        actions: key.actions.filter(isAction),
        allowedOrigins: key.allowedOrigins,
        // An expired rolled key is as good as revoked: relays close what still uses it.
        revoked: !usable,
        expiresAtUnix: key.expiresAt ? toUnixSeconds(key.expiresAt) : null,
        ...(usable && key.kind === "secret" && key.secretCiphertext ? { signingSecret: decryptSecret(key.secretCiphertext, input.encryptionKey) } : {}),
      };
    });
    return {
      appId: app.id,
      status: app.status,
      planName: fellBackToFree ? `${plan.name} (plan fee past due)` : plan.name,
      limits: {
        maxConcurrentConnections: limits.maxConcurrentConnections,
        maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
        tokenBucketRefillPerSecond: limits.tokenBucketRefillPerSecond,
        tokenBucketBurst: limits.tokenBucketBurst,
        connectAttemptsPerIpPerMinute: limits.connectAttemptsPerIpPerMinute,
        controlFrameRefillPerSecond: limits.controlFrameRefillPerSecond,
        controlFrameBurst: limits.controlFrameBurst,
        inboundBytesPerSecond: limits.inboundBytesPerSecond,
        historySize: limits.historySize,
        historyTtlSeconds: limits.historyTtlSeconds,
        maxPeersPerChannel: limits.maxPeersPerChannel,
        maxActiveChannels: limits.maxActiveChannels,
      },
      billing: {
        overagesAllowed: limits.overagesAllowed,
        overagesEnabled: limits.overagesAllowed && app.overagesEnabled && !fellBackToFree,
        // The team's balance; a reached spend cap (the app's or the team's) reads as an exhausted balance
        // with no recharge (lib/billing/spend-cap.ts).
        balanceMinor: spendableBalanceMinor(spend.balanceMinor, spend.limits),
        autoRechargeEnabled: spend.autoRechargeEnabled && !spendCapReached(spend.limits),
        overagePricePer1000MessagesMinor: plan.overagePricePer1000MessagesMinor,
        overagePricePerConnectionMinor: plan.overagePricePerConnectionMinor,
        // The period's usage has begun to cost money, or the team's free allowance (all its pay-as-you-go apps') is used up.
        usageBilledFromBalance:
          plan.kind === "pay_as_you_go" &&
          ((usage?.overageCostMinor ?? 0) > 0 || teamAllowanceUsedUp(plan, allowanceUse.get(spend.billingAccountId ?? "") ?? NO_UNITS)),
      },
      period: { startUnix: toUnixSeconds(period.start), endUnix: toUnixSeconds(period.end) },
      changesAtUnix: graceEndsAt ? Math.ceil(graceEndsAt.getTime() / 1000) : null,
      version: app.relayVersion.toString(),
      usage: {
        messagesUsed: Number(usage?.messagesUsed ?? 0),
        overageMessages: Number(usage?.overageMessages ?? 0),
        overageConnections: usage?.overageConnections ?? 0,
        peakConcurrent: usage?.peakConcurrent ?? 0,
      },
      keys,
    };
  });
  return { generatedAtUnixMs: now.getTime(), apps: snapshotApps };
}
