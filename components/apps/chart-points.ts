import type { UsagePoint, UsageSeries } from "@/components/api-types";

export interface ChartPoint {
  /** Start of the bucket, epoch milliseconds. */
  t: number;
  // null for buckets that have not begun yet: a chart draws nothing there rather than a misleading zero.
  acceptedPerMinute: number | null;
  refusedPerMinute: number | null;
  delivered: number | null;
  egressBytes: number | null;
  peakConcurrent: number | null;
}
export type ChartValueKey = keyof Omit<ChartPoint, "t">;

/**
 * The series as chart rows. On one-minute buckets the per-minute figures are the minute itself; on
 * coarser buckets they are the bucket's busiest minute (never an average, which hides a burst ten times
 * the mean), and the peak concurrency is the most connections open at any moment of the bucket.
 */
export function toChartPoints(series: UsageSeries, nowMs: number): ChartPoint[] {
  return series.points.map((point: UsagePoint) => {
    const t = point.tUnix * 1000;
    if (t > nowMs) return { t, acceptedPerMinute: null, refusedPerMinute: null, delivered: null, egressBytes: null, peakConcurrent: null };
    return {
      t,
      acceptedPerMinute: point.peakMessagesPerMinute,
      refusedPerMinute: point.peakSoftDropsPerMinute,
      delivered: point.delivered,
      egressBytes: point.egressBytes,
      peakConcurrent: point.peakConcurrent,
    };
  });
}

/** What a point of a per-minute chart stands for on this range (the caption says it). */
export function bucketNote(bucketSec: number): string {
  if (bucketSec <= 60) return "";
  const bucket = bucketSec >= 86_400 ? "day" : `${bucketSec / 60}-minute bucket`;
  return `busiest minute of each ${bucket}`;
}

/** Largest and summed value of one series over the buckets that have begun. */
export function summarize(points: readonly ChartPoint[], key: ChartValueKey): { peak: number; total: number } {
  let peak = 0;
  let total = 0;
  for (const point of points) {
    const value = point[key];
    if (value === null) continue;
    peak = Math.max(peak, value);
    total += value;
  }
  return { peak, total };
}
