// Usage as CSV, one row per UTC day of a chosen range: the per-minute samples the relays reported,
// summed per day (peak concurrency: the day's busiest minute), and the usage charges the ledger debited
// that day. Every day of the range has a row, quiet ones with zeros, so a spreadsheet can chart it as is.
import { z } from "zod";
import { csvRows } from "@/lib/billing/invoice-documents";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { text } from "@/lib/validation/text";

const DAY_MS = 86_400_000;
/** The longest range one export covers. */
export const USAGE_EXPORT_MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

const isoDay = text()
  .max(10)
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date as YYYY-MM-DD")
  .refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day), "Not a calendar date");

/** `from` and `to` are UTC days, both included; without them the last 30 days up to today. */
export const usageExportQuerySchema = z
  .object({ from: isoDay.optional(), to: isoDay.optional() })
  .transform(({ from, to }, ctx) => {
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const toDay = to ? new Date(`${to}T00:00:00Z`) : today;
    const fromDay = from ? new Date(`${from}T00:00:00Z`) : new Date(toDay.getTime() - (DEFAULT_DAYS - 1) * DAY_MS);
    if (fromDay > toDay) {
      ctx.addIssue({ code: "custom", message: "The start date must not be after the end date", path: ["from"] });
      return z.NEVER;
    }
    if ((toDay.getTime() - fromDay.getTime()) / DAY_MS + 1 > USAGE_EXPORT_MAX_DAYS) {
      ctx.addIssue({ code: "custom", message: `An export covers at most ${USAGE_EXPORT_MAX_DAYS} days`, path: ["to"] });
      return z.NEVER;
    }
    return { from: fromDay, to: toDay };
  });
export type UsageExportRange = z.infer<typeof usageExportQuerySchema>;

export const USAGE_EXPORT_HEADER = [
  "date",
  "app_id",
  "app_name",
  "messages",
  "delivered_messages",
  "egress_bytes",
  "connection_minutes",
  "peak_concurrent",
  "soft_drops",
  "usage_charges_minor",
  "usage_charges",
] as const;

interface DayRow {
  day: Date;
  messages: bigint;
  delivered: bigint;
  egress: bigint;
  minutes: bigint;
  peak: number;
  drops: bigint;
}

function dayKey(day: Date): string {
  return day.toISOString().slice(0, 10);
}

export async function usageCsv(db: Db, input: { appId: string; range: UsageExportRange }): Promise<{ csv: string; filename: string }> {
  const app = await db.app.findUnique({ where: { id: input.appId }, select: { id: true, name: true } });
  if (!app) throw notFound("App");
  const { from } = input.range;
  const end = new Date(input.range.to.getTime() + DAY_MS);
  const samples = await db.$queryRaw<DayRow[]>`
    SELECT date_trunc('day', minute) AS day, sum(messages)::bigint AS messages, sum(delivered)::bigint AS delivered,
      sum("egressBytes")::bigint AS egress, sum("connectionMinutes")::bigint AS minutes, max("peakConcurrent") AS peak, sum("softDrops")::bigint AS drops
    FROM "UsageSample" WHERE "appId" = ${app.id} AND minute >= ${from} AND minute < ${end}
    GROUP BY 1`;
  // This app's usage charges (its team's wallet paid them).
  const charges = await db.$queryRaw<{ day: Date; debited: bigint }[]>`
    SELECT date_trunc('day', "createdAt") AS day, -sum("amountMinor")::bigint AS debited
    FROM "LedgerEntry" WHERE "appId" = ${app.id} AND kind = 'overage_debit' AND "createdAt" >= ${from} AND "createdAt" < ${end}
    GROUP BY 1`;
  const usageByDay = new Map(samples.map((row) => [dayKey(row.day), row]));
  const chargeByDay = new Map(charges.map((row) => [dayKey(row.day), Number(row.debited)]));
  const rows: (string | number)[][] = [[...USAGE_EXPORT_HEADER]];
  for (let at = from.getTime(); at < end.getTime(); at += DAY_MS) {
    const day = dayKey(new Date(at));
    const usage = usageByDay.get(day);
    const chargedMinor = chargeByDay.get(day) ?? 0;
    rows.push([
      day,
      app.id,
      app.name,
      Number(usage?.messages ?? 0),
      Number(usage?.delivered ?? 0),
      Number(usage?.egress ?? 0),
      Number(usage?.minutes ?? 0),
      usage?.peak ?? 0,
      Number(usage?.drops ?? 0),
      chargedMinor,
      (chargedMinor / 100).toFixed(2),
    ]);
  }
  return { csv: csvRows(rows), filename: `usage-${app.id}-${dayKey(from)}-to-${dayKey(input.range.to)}.csv` };
}
