"use client";

interface ChartTooltipProps {
  active?: boolean;
  /** Bucket start, epoch ms. */
  label?: unknown;
  payload?: ReadonlyArray<{ value?: unknown }>;
  title: string;
  formatValue(value: number): string;
  formatBucket(startMs: number): string;
}

/** The card shown on hover: which bucket (with its zone) and the value in the chart's unit. */
export function ChartTooltip({ active, label, payload, title, formatValue, formatBucket }: ChartTooltipProps) {
  const value = payload?.[0]?.value;
  if (!active || typeof value !== "number") return null;
  return (
    <div className="chart-tooltip">
      <div className="muted small">{formatBucket(Number(label))}</div>
      <div>
        <span className="chart-tooltip-title">{title}</span> <strong>{formatValue(value)}</strong>
      </div>
    </div>
  );
}
