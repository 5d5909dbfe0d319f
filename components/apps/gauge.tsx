import { usageStatus, type UsageStatus } from "@tollgate/relay/protocol";
import type { ReactNode } from "react";
import { formatLimit, formatNumber } from "@/components/format";

const statusLabel: Record<UsageStatus, string> = { healthy: "Healthy", warning: "Warning", critical: "Critical" };

interface GaugeProps {
  label: string;
  used: number;
  limit: number | null;
  /** Extra line under the numbers, e.g. the peak or overage units. */
  detail?: string;
  /** How `used` and `limit` are written: counts by default (`formatBytes` for bytes). */
  formatValue?: (value: number) => string;
  /** When the figure was measured (the usage page's "updated 3 s ago"). */
  updated?: ReactNode;
}

/**
 * A usage meter coloured by the protocol's thresholds (warning from 75 %, critical from 90 %). The status
 * is also written out, so colour is never the only signal.
 */
export function Gauge({ label, used, limit, detail, formatValue = formatNumber, updated }: GaugeProps) {
  const status = usageStatus(used, limit);
  const limitText = limit === null ? formatLimit(limit) : formatValue(limit);
  const ratio = limit === null || limit <= 0 ? 0 : used / limit;
  const percent = Math.round(ratio * 100);
  return (
    <div className={`card gauge gauge-${status}`} data-status={status}>
      <div className="gauge-head">
        <h3>{label}</h3>
        <span className={`status-pill status-${status}`}>{statusLabel[status]}</span>
      </div>
      <div className="gauge-value">
        <strong>{formatValue(used)}</strong>
        <span className="muted"> / {limitText}</span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={limit ?? undefined}
        aria-valuenow={used}
        aria-valuetext={`${formatValue(used)} of ${limitText}, ${statusLabel[status].toLowerCase()}`}
      >
        {/* Any use at all shows a sliver, so 0.2 % does not look like an idle app. */}
        <span className="gauge-fill" style={{ width: used > 0 && limit !== null ? `max(4px, ${Math.min(100, ratio * 100)}%)` : "0%" }} />
      </div>
      <div className="muted small">{limit === null ? "No cap on this plan" : `${percent}% of the limit`}{detail ? ` · ${detail}` : ""}</div>
      {updated}
    </div>
  );
}
