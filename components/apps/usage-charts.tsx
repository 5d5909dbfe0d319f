"use client";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesRange, UsagePoint, UsageSeries } from "@/components/api-types";
import { formatBytes, formatCompact, formatNumber } from "@/components/format";

export const rangeLabels: Record<SeriesRange, string> = { hour: "Last hour", day: "Last day", period: "Billing period" };

interface ChartPoint {
  t: number;
  acceptedPerMinute: number;
  refusedPerMinute: number;
  delivered: number;
  egressBytes: number;
  peakConcurrent: number;
}

/**
 * On one-minute buckets the per-minute figures are the minute itself; on coarser buckets they are the
 * bucket's busiest minute (never an average, which hides a burst ten times the mean).
 */
function toChartPoints(series: UsageSeries): ChartPoint[] {
  return series.points.map((point: UsagePoint) => ({
    t: point.tUnix * 1000,
    acceptedPerMinute: point.peakMessagesPerMinute,
    refusedPerMinute: point.peakSoftDropsPerMinute,
    delivered: point.delivered,
    egressBytes: point.egressBytes,
    peakConcurrent: point.peakConcurrent,
  }));
}

/** What a point of a per-minute chart stands for on this range (the caption says it). */
function bucketNote(series: UsageSeries): string {
  if (series.bucketSec <= 60) return "";
  const bucket = series.bucketSec >= 86_400 ? "day" : `${series.bucketSec / 60}-minute bucket`;
  return ` (busiest minute of each ${bucket})`;
}

function tickFormatter(range: SeriesRange) {
  return (ms: number) => {
    const date = new Date(ms);
    return range === "period"
      ? date.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" })
      : date.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
  };
}

type SeriesKey = keyof Omit<ChartPoint, "t">;

interface ChartSpec {
  id: string;
  title: string;
  /** Whether the figure is per minute (its caption names the bucket's busiest minute on coarse ranges). */
  perMinute: boolean;
  summary: "peak" | "total";
  series: Array<{ key: SeriesKey; name: string; color: string }>;
  kind: "area" | "bar";
  format(value: number): string;
}

const charts: ChartSpec[] = [
  {
    id: "messages",
    title: "Messages per minute",
    perMinute: true,
    summary: "peak",
    series: [
      { key: "acceptedPerMinute", name: "Accepted", color: "#3553d6" },
      { key: "refusedPerMinute", name: "Refused (over quota)", color: "#c53030" },
    ],
    kind: "area",
    format: formatNumber,
  },
  { id: "delivered", title: "Deliveries", perMinute: false, summary: "total", series: [{ key: "delivered", name: "Deliveries", color: "#1f8a4c" }], kind: "bar", format: formatNumber },
  { id: "egress", title: "Egress", perMinute: false, summary: "total", series: [{ key: "egressBytes", name: "Egress", color: "#8b5cf6" }], kind: "bar", format: formatBytes },
  {
    id: "concurrency",
    title: "Concurrent connections (peak)",
    perMinute: true,
    summary: "peak",
    series: [{ key: "peakConcurrent", name: "Open connections (peak)", color: "#b7791f" }],
    kind: "area",
    format: formatNumber,
  },
];

function summaryOf(chart: ChartSpec, points: ChartPoint[]): string {
  return chart.series
    .map(({ key, name }) => {
      const values = points.map((point) => point[key]);
      const value = chart.summary === "peak" ? Math.max(0, ...values) : values.reduce((sum, v) => sum + v, 0);
      const label = chart.series.length > 1 ? `${name.toLowerCase()} ` : "";
      return `${label}${chart.summary} ${chart.format(value)}`;
    })
    .join(" · ");
}

export function UsageCharts({ series }: { series: UsageSeries }) {
  const points = toChartPoints(series);
  const formatTick = tickFormatter(series.range);
  return (
    <div className="chart-grid">
      {charts.map((chart) => {
        const summary = summaryOf(chart, points);
        const title = chart.perMinute ? `${chart.title}${bucketNote(series)}` : chart.title;
        const seriesName = (key: unknown) => chart.series.find((entry) => entry.key === key)?.name ?? chart.title;
        return (
          <figure className="card chart" key={chart.id} aria-label={`${title}, ${rangeLabels[series.range].toLowerCase()}: ${summary}`}>
            <figcaption>
              <span>{title}</span>
              <span className="muted small">{summary}</span>
            </figcaption>
            <div className="chart-body">
              <ResponsiveContainer width="100%" height={180}>
                {chart.kind === "area" ? (
                  <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e6e9ef" vertical={false} />
                    <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={formatTick} tick={{ fontSize: 11 }} minTickGap={24} />
                    <YAxis tickFormatter={(value: number) => (chart.id === "egress" ? formatBytes(value) : formatCompact(value))} tick={{ fontSize: 11 }} width={48} allowDecimals={false} />
                    <Tooltip labelFormatter={(label) => formatTick(Number(label))} formatter={(value, _name, item) => [chart.format(Number(value)), seriesName(item.dataKey)]} />
                    {chart.series.map(({ key, name, color }) => (
                      <Area key={key} type="monotone" dataKey={key} name={name} stroke={color} fill={color} fillOpacity={0.15} isAnimationActive={false} />
                    ))}
                  </AreaChart>
                ) : (
                  <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e6e9ef" vertical={false} />
                    <XAxis dataKey="t" tickFormatter={formatTick} tick={{ fontSize: 11 }} minTickGap={24} />
                    <YAxis tickFormatter={(value: number) => (chart.id === "egress" ? formatBytes(value) : formatCompact(value))} tick={{ fontSize: 11 }} width={56} allowDecimals={false} />
                    <Tooltip labelFormatter={(label) => formatTick(Number(label))} formatter={(value, _name, item) => [chart.format(Number(value)), seriesName(item.dataKey)]} />
                    {chart.series.map(({ key, name, color }) => (
                      <Bar key={key} dataKey={key} name={name} fill={color} isAnimationActive={false} />
                    ))}
                  </BarChart>
                )}
              </ResponsiveContainer>
            </div>
          </figure>
        );
      })}
    </div>
  );
}
