"use client";
import { useId, useMemo, useState } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesRange, UsageSeries } from "@/components/api-types";
import { ChartTooltip } from "@/components/apps/chart-tooltip";
import { bucketNote, summarize, toChartPoints, type ChartPoint, type ChartValueKey } from "@/components/apps/chart-points";
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

/** What a screen reader hears about a chart: the range, each series' headline and when it peaked. */
function describeChart(chart: ChartSpec, points: readonly ChartPoint[], range: SeriesRange, formatValue: (value: number) => string, formatBucket: (ms: number) => string): string {
  const lines = chart.series.map((line) => {
    const { peak, total } = summarize(points, line.key);
    if (peak === 0) return `${line.name}: none`;
    const peakAt = points.find((point) => point[line.key] === peak);
    const headline = chart.summary === "peak" ? `peak ${formatValue(peak)}` : `total ${formatValue(total)}, most ${formatValue(peak)}`;
    return `${line.name}: ${headline}${peakAt ? ` at ${formatBucket(peakAt.t)}` : ""}`;
  });
  return `${rangeLabels[range]}, ${bucketLabels[range]}. ${lines.join(". ")}. The table view lists every point.`;
}

type ChartView = "chart" | "table";

export function UsageCharts({ series }: { series: UsageSeries }) {
  const points = useMemo(() => toChartPoints(series, Date.now()), [series]);
  const axis = useTimeAxis(series);
  const [view, setView] = useState<ChartView>("chart");
  const idPrefix = useId();
  const specs = charts.map((chart) => {
    const summaries = chart.series.map((line) => ({ line, ...summarize(points, line.key) }));
    const peak = Math.max(0, ...summaries.map((entry) => entry.peak));
    return { chart, summaries, y: valueAxis(chart, peak) };
  });
  // One y-axis width for the whole grid, so the plots (and their x ticks) line up across neighbouring charts.
  const yWidth = Math.max(32, ...specs.map((spec) => spec.y.labelChars * 7 + 16));
  return (
    <div className="stack">
      <div className="section-header">
        <p className="muted small" data-testid="chart-zone">
          Times in {axis.zone}, {bucketLabels[series.range]}.
        </p>
        <div className="segmented" role="group" aria-label="Show usage as">
          {(["chart", "table"] as const).map((option) => (
            <button key={option} type="button" aria-pressed={view === option} onClick={() => setView(option)}>
              {option === "chart" ? "Charts" : "Tables"}
            </button>
          ))}
        </div>
      </div>
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
          const descriptionId = `${idPrefix}-${chart.id}-description`;
          // No keyboard layer: the chart is a picture of the table view, not a second Tab stop per chart.
          const common = { data: points, margin: { top: 8, right: 20, bottom: 0, left: 0 }, accessibilityLayer: false };
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
            <figure
              className="card chart"
              key={chart.id}
              aria-label={`${chart.title}, ${rangeLabels[series.range].toLowerCase()}: ${summary}`}
              aria-describedby={descriptionId}
              data-chart={chart.id}
            >
              <figcaption>
                <span>
                  {chart.title}
                  {note && <span className="muted small"> ({note})</span>}
                </span>
                <span className="muted small">{summary}</span>
              </figcaption>
              <p id={descriptionId} className="visually-hidden">
                {describeChart(chart, points, series.range, formatValue, axis.formatBucket)}
              </p>
              {view === "table" ? (
                <ChartTable chart={chart} points={points} formatValue={formatValue} formatBucket={axis.formatBucket} />
              ) : (
                <div className="chart-body" aria-hidden="true">
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
              )}
            </figure>
          );
        })}
      </div>
    </div>
  );
}

/** Every point of one chart as rows (the buckets that have begun), for reading rather than looking. */
function ChartTable({ chart, points, formatValue, formatBucket }: { chart: ChartSpec; points: readonly ChartPoint[]; formatValue: (value: number) => string; formatBucket: (ms: number) => string }) {
  const rows = points.filter((point) => chart.series.some((line) => point[line.key] !== null));
  return (
    <div className="table-wrap chart-table">
      <table className="table compact" aria-label={chart.title}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {chart.series.map((line) => (
              <th scope="col" className="num" key={line.key}>
                {line.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((point) => (
            <tr key={point.t}>
              <th scope="row">{formatBucket(point.t)}</th>
              {chart.series.map((line) => (
                <td className="num" key={line.key}>
                  {formatValue(point[line.key] ?? 0)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
