// An admin's change to an app's limits (override or plan edit) is announced when it moves one of the
// limits customers plan around: concurrent connections, messages per period, or the channel limits.
import type { Prisma } from "@/lib/db";
import type { EffectiveLimits } from "@/lib/plans/effective-limits";
import type { AnnouncedLimits } from "./app-event.types";
import { queueUsageThresholdCheck } from "./check-usage-thresholds";
import { emitAppEvent } from "./emit-app-event";

export async function announceLimitsChange(
  tx: Prisma.TransactionClient,
  input: { appId: string; source: "override" | "plan"; changeId: string; before: EffectiveLimits; after: EffectiveLimits },
): Promise<void> {
  const pick = (limits: EffectiveLimits): Required<AnnouncedLimits> => ({
    maxConcurrentConnections: limits.maxConcurrentConnections,
    maxMessagesPerPeriod: limits.maxMessagesPerPeriod,
    maxPeersPerChannel: limits.maxPeersPerChannel,
    maxActiveChannels: limits.maxActiveChannels,
  });
  const before = pick(input.before);
  const after = pick(input.after);
  if ((Object.keys(before) as (keyof AnnouncedLimits)[]).every((limit) => before[limit] === after[limit])) return;
  // A limit lowered below the use raises the usage alerts it now calls for, with no flush needed.
  await queueUsageThresholdCheck(tx, { appId: input.appId, cause: "limit_lowered" });
  await emitAppEvent(tx, { appId: input.appId, event: { type: "limits.changed", source: input.source, changeId: input.changeId, before, after } });
}
