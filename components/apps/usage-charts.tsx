"use client";
import { useMemo } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesRange, UsageSeries } from "@/components/api-types";
import { ChartTooltip } from "@/components/apps/chart-tooltip";
import { summarize, toChartPoints, type ChartValueKey } from "@/components/apps/chart-points";
import { browserTimeZone, niceTicks, timeTicks, zoneLabel, zoneOffsetMs } from "@/components/chart-scale";
import { byteUnitFor, formatBytes, formatCompact, formatNumber } from "@/components/format";

export const rangeLabels: Record<SeriesRange, string> = { hour: "Last hour", day: "Last day", period: "Billing period" };
const bucketLabels: Record<SeriesRange, string> = { hour: "one point per minute", day: "one point per 15 minutes", period: "one point per day" };

interface ChartSpec {
  key: ChartValueKey;
  title: string;
  color: string;
  kind: "area" | "bar";
  /** Peaks are the headline of rates and gauges; totals of things that add up. */
  summary: "peak" | "total";
  bytes?: boolean;
}

const charts: ChartSpec[] = [
  { key: "messagesPerMinute", title: "Messages per minute", color: "var(--chart-1)", kind: "area", summary: "peak" },
  { key: "delivered", title: "Deliveries", color: "var(--chart-2)", kind: "bar", summary: "total" },
  { key: "egressBytes", title: "Egress", color: "var(--chart-3)", kind: "bar", summary: "total", bytes: true },
  { key: "peakConcurrent", title: "Concurrent connections (peak)", color: "var(--chart-4)", kind: "area", summary: "peak" },
];

/** Times on every chart of the grid: one zone (the browser's, stated), one set of x ticks. */
function useTimeAxis(series: UsageSeries) {
  return useMemo(() => {
    const timeZone = browserTimeZone();
    const fromMs = series.fromUnix * 1000;
    const toMs = series.toUnix * 1000;
    const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
    const day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone });
    const formatTick = (ms: number) => (series.range === "period" ? day.format(ms) : clock.format(ms));
    const zone = zoneLabel(timeZone, toMs);
    const bucketMs = series.bucketSec * 1000;
    const formatBucket = (startMs: number) =>
      series.range === "period" ? `${day.format(startMs)} (${zone})` : `${clock.format(startMs)}–${clock.format(startMs + bucketMs)} ${zone}`;
    return {
      zone,
      domain: [fromMs, toMs] as [number, number],
      ticks: timeTicks(fromMs, toMs, { maxTicks: 6, offsetMs: (t) => zoneOffsetMs(timeZone, t) }),
      formatTick,
      formatBucket,
    };
  }, [series.fromUnix, series.toUnix, series.range, series.bucketSec]);
}

/** Round y ticks per chart, in one unit per axis (KiB or MiB for bytes, never both). */
function valueAxis(chart: ChartSpec, peak: number) {
  const unit = chart.bytes ? byteUnitFor(peak) : null;
  // A no-break space keeps "800 KiB" on one line: recharts wraps tick labels at ordinary spaces.
  const formatTick = (value: number) => (unit ? formatBytes(value, unit) : formatCompact(value)).replaceAll(" ", "\u00a0");
  const ticks = unit ? niceTicks(peak / unit.divisor).map((tick) => tick * unit.divisor) : niceTicks(peak, { integers: chart.key !== "messagesPerMinute" });
  return { ticks, formatTick, labelChars: Math.max(...ticks.map((tick) => formatTick(tick).length)) };
}

export function UsageCharts({ series }: { series: UsageSeries }) {
  const points = useMemo(() => toChartPoints(series, Date.now()), [series]);
  const axis = useTimeAxis(series);
  const specs = charts.map((chart) => {
    const { peak, total } = summarize(points, chart.key);
    return { chart, peak, total, y: valueAxis(chart, peak) };
  });
  // One y-axis width for the whole grid, so the plots (and their x ticks) line up across neighbouring charts.
  const yWidth = Math.max(32, ...specs.map((spec) => spec.y.labelChars * 7 + 16));
  return (
    <div className="stack">
      <p className="muted small" data-testid="chart-zone">
        Times in {axis.zone}, {bucketLabels[series.range]}.
      </p>
      <div className="chart-grid">
        {specs.map(({ chart, peak, total, y }) => {
          const formatValue = (value: number) => (chart.bytes ? formatBytes(value) : formatNumber(value));
          const summary = chart.summary === "peak" ? `peak ${formatValue(peak)}` : `total ${formatValue(total)}`;
          const common = { data: points, margin: { top: 8, right: 20, bottom: 0, left: 0 } };
          const grid = <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" vertical={false} />;
          const xAxis = (
            <XAxis dataKey="t" type="number" scale="time" domain={axis.domain} ticks={axis.ticks} interval={0} tickFormatter={axis.formatTick} tick={{ fontSize: 11, fill: "var(--muted)" }} stroke="var(--border)" />
          );
          const yAxis = (
            <YAxis domain={[0, y.ticks[y.ticks.length - 1] ?? 1]} ticks={y.ticks} interval={0} tickFormatter={y.formatTick} tick={{ fontSize: 11, fill: "var(--muted)" }} width={yWidth} stroke="var(--border)" />
          );
          const tooltip = (
            <Tooltip
              cursor={{ fill: "var(--accent-soft)", stroke: "var(--border)" }}
              content={(props) => <ChartTooltip active={props.active} label={props.label} payload={props.payload} title={chart.title} formatValue={formatValue} formatBucket={axis.formatBucket} />}
            />
          );
          return (
            <figure className="card chart" key={chart.key} aria-label={`${chart.title}, ${rangeLabels[series.range].toLowerCase()}: ${summary}`} data-chart={chart.key}>
              <figcaption>
                <span>{chart.title}</span>
                <span className="muted small">{summary}</span>
              </figcaption>
              <div className="chart-body">
                <ResponsiveContainer width="100%" height={180}>
                  {chart.kind === "area" ? (
                    <AreaChart {...common}>
                      {grid}
                      {xAxis}
                      {yAxis}
                      {tooltip}
                      <Area type="linear" dataKey={chart.key} stroke={chart.color} fill={chart.color} fillOpacity={0.15} isAnimationActive={false} connectNulls={false} />
                    </AreaChart>
                  ) : (
                    <BarChart {...common} barCategoryGap={1}>
                      {grid}
                      {xAxis}
                      {yAxis}
                      {tooltip}
                      <Bar dataKey={chart.key} fill={chart.color} isAnimationActive={false} />
                    </BarChart>
                  )}
                </ResponsiveContainer>
              </div>
            </figure>
          );
        })}
      </div>
    </div>
  );
}
