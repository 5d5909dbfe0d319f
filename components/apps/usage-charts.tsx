"use client";
import { useMemo } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesRange, UsageSeries } from "@/components/api-types";
import { ChartTooltip } from "@/components/apps/chart-tooltip";
import { bucketNote, summarize, toChartPoints, type ChartValueKey } from "@/components/apps/chart-points";
import { browserTimeZone, niceTicks, timeTicks, zoneLabel, zoneOffsetMs } from "@/components/chart-scale";
import { byteUnitFor, formatBytes, formatCompact, formatNumber } from "@/components/format";

export const rangeLabels: Record<SeriesRange, string> = { hour: "Last hour", day: "Last day", period: "Billing period" };
const bucketLabels: Record<SeriesRange, string> = { hour: "one point per minute", day: "one point per 15 minutes", period: "one point per day" };

interface ChartSeries {
  key: ChartValueKey;
  name: string;
  color: string;
}

interface ChartSpec {
  id: string;
  title: string;
  series: ChartSeries[];
  kind: "area" | "bar";
  /** A per-minute figure: on coarser buckets it is the bucket's busiest minute (the caption says so). */
  perMinute: boolean;
  /** Peaks are the headline of rates and gauges; totals of things that add up. */
  summary: "peak" | "total";
  bytes?: boolean;
}

const charts: ChartSpec[] = [
  {
    id: "messages",
    title: "Messages per minute",
    series: [
      { key: "acceptedPerMinute", name: "Accepted", color: "var(--chart-1)" },
      { key: "refusedPerMinute", name: "Refused (over quota)", color: "var(--critical)" },
    ],
    kind: "area",
    perMinute: true,
    summary: "peak",
  },
  { id: "delivered", title: "Deliveries", series: [{ key: "delivered", name: "Deliveries", color: "var(--chart-2)" }], kind: "bar", perMinute: false, summary: "total" },
  { id: "egress", title: "Egress", series: [{ key: "egressBytes", name: "Egress", color: "var(--chart-3)" }], kind: "bar", perMinute: false, summary: "total", bytes: true },
  {
    id: "concurrency",
    title: "Concurrent connections (peak)",
    series: [{ key: "peakConcurrent", name: "Open connections (peak)", color: "var(--chart-4)" }],
    kind: "area",
    perMinute: true,
    summary: "peak",
  },
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

/** Round y ticks per chart, in one unit per axis (kB or MB for bytes, never both). */
function valueAxis(chart: ChartSpec, peak: number) {
  const unit = chart.bytes ? byteUnitFor(peak) : null;
  // A no-break space keeps "800 kB" on one line: recharts wraps tick labels at ordinary spaces.
  const formatTick = (value: number) => (unit ? formatBytes(value, unit) : formatCompact(value)).replaceAll(" ", "\u00a0");
  const ticks = unit ? niceTicks(peak / unit.divisor).map((tick) => tick * unit.divisor) : niceTicks(peak, { integers: true });
  return { ticks, formatTick, labelChars: Math.max(...ticks.map((tick) => formatTick(tick).length)) };
}

export function UsageCharts({ series }: { series: UsageSeries }) {
  const points = useMemo(() => toChartPoints(series, Date.now()), [series]);
  const axis = useTimeAxis(series);
  const specs = charts.map((chart) => {
    const summaries = chart.series.map((line) => ({ line, ...summarize(points, line.key) }));
    const peak = Math.max(0, ...summaries.map((entry) => entry.peak));
    return { chart, summaries, y: valueAxis(chart, peak) };
  });
  // One y-axis width for the whole grid, so the plots (and their x ticks) line up across neighbouring charts.
  const yWidth = Math.max(32, ...specs.map((spec) => spec.y.labelChars * 7 + 16));
  return (
    <div className="stack">
      <p className="muted small" data-testid="chart-zone">
        Times in {axis.zone}, {bucketLabels[series.range]}.
      </p>
      <div className="chart-grid">
        {specs.map(({ chart, summaries, y }) => {
          const formatValue = (value: number) => (chart.bytes ? formatBytes(value) : formatNumber(value));
          const summary = summaries
            .map(({ line, peak, total }) => {
              const label = summaries.length > 1 ? `${line.name.toLowerCase()} ` : "";
              return `${label}${chart.summary} ${formatValue(chart.summary === "peak" ? peak : total)}`;
            })
            .join(" · ");
          const note = chart.perMinute ? bucketNote(series.bucketSec) : "";
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
              content={(props) => <ChartTooltip active={props.active} label={props.label} payload={props.payload} formatValue={formatValue} formatBucket={axis.formatBucket} />}
            />
          );
          return (
            <figure className="card chart" key={chart.id} aria-label={`${chart.title}, ${rangeLabels[series.range].toLowerCase()}: ${summary}`} data-chart={chart.id}>
              <figcaption>
                <span>
                  {chart.title}
                  {note && <span className="muted small"> ({note})</span>}
                </span>
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
                      {chart.series.map((line) => (
                        <Area key={line.key} type="linear" dataKey={line.key} name={line.name} stroke={line.color} fill={line.color} fillOpacity={0.15} isAnimationActive={false} connectNulls={false} />
                      ))}
                    </AreaChart>
                  ) : (
                    <BarChart {...common} barCategoryGap={1}>
                      {grid}
                      {xAxis}
                      {yAxis}
                      {tooltip}
                      {chart.series.map((line) => (
                        <Bar key={line.key} dataKey={line.key} name={line.name} fill={line.color} isAnimationActive={false} />
                      ))}
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
