"use client";

interface ChartTooltipProps {
  active?: boolean;
  /** Bucket start, epoch ms. */
  label?: unknown;
  payload?: ReadonlyArray<{ value?: unknown; name?: unknown; color?: string }>;
  formatValue(value: number): string;
  formatBucket(startMs: number): string;
}

/** The card shown on hover: which bucket (with its zone) and each series' value in the chart's unit. */
export function ChartTooltip({ active, label, payload, formatValue, formatBucket }: ChartTooltipProps) {
  const rows = (payload ?? []).filter((entry): entry is { value: number; name?: unknown; color?: string } => typeof entry.value === "number");
  if (!active || rows.length === 0) return null;
  return (
    <div className="chart-tooltip">
      <div className="muted small">{formatBucket(Number(label))}</div>
      {rows.map((entry) => (
        <div key={String(entry.name)}>
          <span className="chart-tooltip-title">{String(entry.name ?? "")}</span> <strong>{formatValue(entry.value)}</strong>
        </div>
      ))}
    </div>
  );
}
