import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { billingPeriodAt, toUnixSeconds } from "@/lib/periods/billing-period";
import type { UsagePoint, UsageRange, UsageSeries } from "./usage.types";

const MINUTE_MS = 60_000;

/** hour: 60 one-minute points; day: 96 fifteen-minute points; period: one point per day. */
function window(range: UsageRange, now: Date, anchor: Date): { from: Date; to: Date; bucketMs: number } {
  const endOfMinute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  switch (range) {
    case "hour":
      return { from: new Date(endOfMinute.getTime() - 60 * MINUTE_MS), to: endOfMinute, bucketMs: MINUTE_MS };
    case "day": {
      const bucketMs = 15 * MINUTE_MS;
      const to = new Date(Math.ceil(endOfMinute.getTime() / bucketMs) * bucketMs);
      return { from: new Date(to.getTime() - 96 * bucketMs), to, bucketMs };
    }
    case "period": {
      const period = billingPeriodAt(anchor, now);
      return { from: period.start, to: period.end, bucketMs: 24 * 60 * MINUTE_MS };
    }
  }
}

function emptyPoint(tUnix: number): UsagePoint {
  return { tUnix, messages: 0, softDrops: 0, peakMessagesPerMinute: 0, peakSoftDropsPerMinute: 0, delivered: 0, egressBytes: 0, peakConcurrent: 0, connectionMinutes: 0 };
}

/**
 * Chart data from the per-minute samples, bucketed; missing buckets are zeros so charts need no gap
 * handling. Peaks take the bucket's maximum minute (never an average: a 15-minute bucket's per-minute peak is
 * its busiest minute), everything else sums. Closes by code come from the
 * current period's counters (relays report closes per flush, not per minute).
 */
export async function getUsageSeries(db: Db, input: { appId: string; range: UsageRange; now?: Date }): Promise<UsageSeries> {
  const now = input.now ?? new Date();
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { id: true, billingAnchor: true } });
  if (!app) throw notFound("App");
  const { from, to, bucketMs } = window(input.range, now, app.billingAnchor);
  const period = billingPeriodAt(app.billingAnchor, now);
  const [samples, periodRow] = await Promise.all([
    db.usageSample.findMany({ where: { appId: app.id, minute: { gte: from, lt: to } }, orderBy: { minute: "asc" } }),
    db.usagePeriod.findUnique({ where: { appId_start: { appId: app.id, start: period.start } }, select: { closesByCode: true } }),
  ]);
  const bucketCount = Math.ceil((to.getTime() - from.getTime()) / bucketMs);
  const points = Array.from({ length: bucketCount }, (_, i) => emptyPoint(toUnixSeconds(new Date(from.getTime() + i * bucketMs))));
  const outcomes = { delivered: 0, softDrops: 0, closesByCode: {} as Record<string, number> };
  for (const sample of samples) {
    const point = points[Math.floor((sample.minute.getTime() - from.getTime()) / bucketMs)];
    if (!point) continue;
    point.messages += sample.messages;
    point.delivered += sample.delivered;
    point.egressBytes += Number(sample.egressBytes);
    point.connectionMinutes += sample.connectionMinutes;
    point.softDrops += sample.softDrops;
    point.peakMessagesPerMinute = Math.max(point.peakMessagesPerMinute, sample.messages);
    point.peakSoftDropsPerMinute = Math.max(point.peakSoftDropsPerMinute, sample.softDrops);
    point.peakConcurrent = Math.max(point.peakConcurrent, sample.peakConcurrent);
    outcomes.delivered += sample.delivered;
    outcomes.softDrops += sample.softDrops;
  }
  const closes = periodRow?.closesByCode;
  if (typeof closes === "object" && closes !== null && !Array.isArray(closes)) {
    for (const [code, count] of Object.entries(closes)) if (typeof count === "number") outcomes.closesByCode[code] = count;
  }
  return { range: input.range, bucketSec: bucketMs / 1000, fromUnix: toUnixSeconds(from), toUnix: toUnixSeconds(to), points, outcomes };
}
