"use client";
// Downloads the app's usage as CSV, one row per UTC day of the chosen range. The range is checked here
// as the server checks it (dates, order, at most 366 days), so the link is never one that answers an error.
import { useState } from "react";
import { Field } from "@/components/ui/field";

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** What is wrong with a range and which date to fix, or null when the server will accept it. */
export function exportRangeProblem(from: string, to: string): { field: "from" | "to"; message: string } | null {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start)) return { field: "from", message: "Choose a start date." };
  if (Number.isNaN(end)) return { field: "to", message: "Choose an end date." };
  if (start > end) return { field: "from", message: "The start date must not be after the end date." };
  if ((end - start) / DAY_MS + 1 > MAX_DAYS) return { field: "to", message: `An export covers at most ${MAX_DAYS} days.` };
  return null;
}

export function UsageExport({ appId }: { appId: string }) {
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 29 * DAY_MS)));
  const [to, setTo] = useState(() => isoDay(new Date()));
  const problem = exportRangeProblem(from, to);
  const href = `/api/apps/${encodeURIComponent(appId)}/usage/export?from=${from}&to=${to}`;
  return (
    <section aria-labelledby="export-heading" className="card stack">
      <h3 id="export-heading">Export usage</h3>
      <p className="muted small">
        A CSV with one row per day (UTC): messages, deliveries, egress, connection-minutes, peak connections, refused messages and usage charges.
      </p>
      <div className="inline-form">
        <Field label="From" error={problem?.field === "from" ? problem.message : undefined}>
          <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </Field>
        <Field label="To" error={problem?.field === "to" ? problem.message : undefined}>
          <input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </Field>
        {problem ? (
          <button type="button" disabled>
            Download CSV
          </button>
        ) : (
          <a className="small-button button-link export-link" href={href} download>
            Download CSV
          </a>
        )}
      </div>
    </section>
  );
}
