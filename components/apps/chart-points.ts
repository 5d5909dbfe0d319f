import type { UsagePoint, UsageSeries } from "@/components/api-types";

export interface ChartPoint {
  /** Start of the bucket, epoch milliseconds. */
  t: number;
  // null for buckets that have not begun yet: a chart draws nothing there rather than a misleading zero.
  messagesPerMinute: number | null;
  delivered: number | null;
  egressBytes: number | null;
  peakConcurrent: number | null;
}
export type ChartValueKey = keyof Omit<ChartPoint, "t">;

/** The series as chart rows; buckets longer than a minute are averaged so "per minute" means the same on every range. */
export function toChartPoints(series: UsageSeries, nowMs: number): ChartPoint[] {
  const bucketMinutes = Math.max(1, series.bucketSec / 60);
  return series.points.map((point: UsagePoint) => {
    const t = point.tUnix * 1000;
    if (t > nowMs) return { t, messagesPerMinute: null, delivered: null, egressBytes: null, peakConcurrent: null };
    return {
      t,
      messagesPerMinute: Math.round((point.messages / bucketMinutes) * 10) / 10,
      delivered: point.delivered,
      egressBytes: point.egressBytes,
      peakConcurrent: point.peakConcurrent,
    };
  });
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
