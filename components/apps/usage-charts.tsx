"use client";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesRange, UsagePoint, UsageSeries } from "@/components/api-types";
import { formatBytes, formatCompact, formatNumber } from "@/components/format";

export const rangeLabels: Record<SeriesRange, string> = { hour: "Last hour", day: "Last day", period: "Billing period" };

interface ChartPoint {
  t: number;
  messagesPerMinute: number;
  delivered: number;
  egressBytes: number;
  peakConcurrent: number;
}

function toChartPoints(series: UsageSeries): ChartPoint[] {
  const bucketMinutes = Math.max(1, series.bucketSec / 60);
  return series.points.map((point: UsagePoint) => ({
    t: point.tUnix * 1000,
    // Buckets longer than a minute are averaged, so the axis means the same thing on every range.
    messagesPerMinute: Math.round((point.messages / bucketMinutes) * 10) / 10,
    delivered: point.delivered,
    egressBytes: point.egressBytes,
    peakConcurrent: point.peakConcurrent,
  }));
}

function tickFormatter(range: SeriesRange) {
  return (ms: number) => {
    const date = new Date(ms);
    return range === "period"
      ? date.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" })
      : date.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
  };
}

interface ChartSpec {
  key: keyof Omit<ChartPoint, "t">;
  title: string;
  color: string;
  kind: "area" | "bar";
  format(value: number): string;
}

const charts: ChartSpec[] = [
  { key: "messagesPerMinute", title: "Messages per minute", color: "#3553d6", kind: "area", format: formatNumber },
  { key: "delivered", title: "Deliveries", color: "#1f8a4c", kind: "bar", format: formatNumber },
  { key: "egressBytes", title: "Egress", color: "#8b5cf6", kind: "bar", format: formatBytes },
  { key: "peakConcurrent", title: "Concurrent connections (peak)", color: "#b7791f", kind: "area", format: formatNumber },
];

export function UsageCharts({ series }: { series: UsageSeries }) {
  const points = toChartPoints(series);
  const formatTick = tickFormatter(series.range);
  return (
    <div className="chart-grid">
      {charts.map((chart) => {
        const total = points.reduce((sum, point) => sum + point[chart.key], 0);
        const peak = points.reduce((max, point) => Math.max(max, point[chart.key]), 0);
        const summary = chart.key === "messagesPerMinute" || chart.key === "peakConcurrent" ? `peak ${chart.format(peak)}` : `total ${chart.format(total)}`;
        return (
          <figure className="card chart" key={chart.key} aria-label={`${chart.title}, ${rangeLabels[series.range].toLowerCase()}: ${summary}`}>
            <figcaption>
              <span>{chart.title}</span>
              <span className="muted small">{summary}</span>
            </figcaption>
            <div className="chart-body">
              <ResponsiveContainer width="100%" height={180}>
                {chart.kind === "area" ? (
                  <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e6e9ef" vertical={false} />
                    <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={formatTick} tick={{ fontSize: 11 }} minTickGap={24} />
                    <YAxis tickFormatter={(value: number) => (chart.key === "egressBytes" ? formatBytes(value) : formatCompact(value))} tick={{ fontSize: 11 }} width={48} allowDecimals={false} />
                    <Tooltip labelFormatter={(label) => formatTick(Number(label))} formatter={(value) => [chart.format(Number(value)), chart.title]} />
                    <Area type="monotone" dataKey={chart.key} stroke={chart.color} fill={chart.color} fillOpacity={0.15} isAnimationActive={false} />
                  </AreaChart>
                ) : (
                  <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e6e9ef" vertical={false} />
                    <XAxis dataKey="t" tickFormatter={formatTick} tick={{ fontSize: 11 }} minTickGap={24} />
                    <YAxis tickFormatter={(value: number) => (chart.key === "egressBytes" ? formatBytes(value) : formatCompact(value))} tick={{ fontSize: 11 }} width={56} allowDecimals={false} />
                    <Tooltip labelFormatter={(label) => formatTick(Number(label))} formatter={(value) => [chart.format(Number(value)), chart.title]} />
                    <Bar dataKey={chart.key} fill={chart.color} isAnimationActive={false} />
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
