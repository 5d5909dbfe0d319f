// An admin's change to an app's limits (override or plan edit) is announced when it moves one of the
// limits customers plan around: concurrent connections or messages per period.
import type { Prisma } from "@/lib/db";
import type { EffectiveLimits } from "@/lib/plans/effective-limits";
import { queueUsageThresholdCheck } from "./check-usage-thresholds";
import { emitAppEvent } from "./emit-app-event";

export async function announceLimitsChange(
  tx: Prisma.TransactionClient,
  input: { appId: string; source: "override" | "plan"; changeId: string; before: EffectiveLimits; after: EffectiveLimits },
): Promise<void> {
  const pick = (limits: EffectiveLimits) => ({ maxConcurrentConnections: limits.maxConcurrentConnections, maxMessagesPerPeriod: limits.maxMessagesPerPeriod });
  const before = pick(input.before);
  const after = pick(input.after);
  if (before.maxConcurrentConnections === after.maxConcurrentConnections && before.maxMessagesPerPeriod === after.maxMessagesPerPeriod) return;
  // A limit lowered below the use raises the usage alerts it now calls for, with no flush needed.
  await queueUsageThresholdCheck(tx, { appId: input.appId, cause: "limit_lowered" });
  await emitAppEvent(tx, { appId: input.appId, event: { type: "limits.changed", source: input.source, changeId: input.changeId, before, after } });
}
