"use client";
// How fresh the usage figures on screen are (docs/PROTOCOL.md §7, "usage freshness"): a line on every gauge
// and tile ("updated 3 s ago"), and a banner that says what is wrong when figures are late, the page is
// offline or a refresh failed, while the last figures stay on screen.
import type { UseQueryResult } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { Usage } from "@/components/api-types";
import { ApiError } from "@/components/api";
import { USAGE_POLL_MS } from "@/components/apps/queries";

/** The current time, updated every `intervalMs` so relative times ("3 s ago") keep counting. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "just now", "3 s ago", "4 min ago", "2 h ago". */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** When a figure was measured; late figures say so, not only by colour. */
export function UpdatedAgo({ usage }: { usage: Usage }) {
  const now = useNow();
  const age = formatAge(now - Date.parse(usage.measuredAt));
  return (
    <span className={usage.stale ? "small text-critical" : "muted small"} data-testid="updated-ago" data-stale={usage.stale} title={`Measured at ${clockTime(usage.measuredAt)}`}>
      {usage.stale ? `Stale: last reported ${age}` : `updated ${age}`}
    </span>
  );
}

/** What the header says about refreshing: never a promise the page is not keeping. */
export function refreshNote(query: Pick<UseQueryResult<Usage>, "fetchStatus" | "isError">): string {
  if (query.fetchStatus === "paused") return "offline: not refreshing";
  if (query.isError) return "refresh failing, retrying";
  return `refreshes every ${USAGE_POLL_MS / 1000} s`;
}

/**
 * The banner above the figures: offline, a failed refresh (with a retry) or late relay nodes, each saying
 * since when; nothing when the figures are fresh.
 */
export function UsageFreshnessBanner({ query }: { query: UseQueryResult<Usage> }) {
  const now = useNow();
  const usage = query.data;
  if (!usage) return null;
  const shownFrom = `${clockTime(usage.measuredAt)} (${formatAge(now - Date.parse(usage.measuredAt))})`;
  if (query.fetchStatus === "paused") {
    return (
      <div className="banner banner-warning" role="status">
        You are offline. The figures below were measured at {shownFrom} and refresh once the connection is back.
      </div>
    );
  }
  if (query.isError) {
    const reason = query.error instanceof ApiError || query.error instanceof Error ? query.error.message : "the request failed";
    return (
      <div className="banner banner-warning" role="alert">
        Could not refresh usage ({reason}). The figures below were measured at {shownFrom}.{" "}
        <button type="button" className="small-button" onClick={() => void query.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  if (!usage.stale) return null;
  const late = usage.relayNodes.filter((node) => node.stale);
  return (
    <div className="banner banner-warning" role="status" data-testid="stale-banner">
      {late.length === 0 ? (
        <>No relay has reported live figures yet: the counters are the saved totals as of {shownFrom}, and connections open now are not known.</>
      ) : (
        <>
          Live figures are late:{" "}
          {late.map((node, index) => (
            <span key={node.node}>
              {index > 0 && "; "}relay node {node.node} last reported at {clockTime(node.measuredAt)} ({formatAge(now - Date.parse(node.measuredAt))})
            </span>
          ))}
          . Its figures, open connections included, stay as last reported and never go down; they catch up when it answers.
        </>
      )}
    </div>
  );
}
