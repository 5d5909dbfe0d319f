// The team's ledger (one wallet for all its apps, issue 27), shown from any of its apps' billing pages.
// The ledger for people: one row per day and kind (a relay flush writes a row every few seconds, which
// nobody wants to scroll), paged by days; and the raw entries as CSV for accounting.
import type { Db } from "@/lib/db";
import type { LedgerEntryView } from "./billing.types";
import { csvRows } from "./invoice-documents";
import { teamAccountOfApp } from "./team-account";

export const LEDGER_DAYS_PER_PAGE = 14;

/** Kinds an admin posts with a reason (billing-corrections.ts): listed one by one, reasons shown, never only summed. */
const ITEMISED_KINDS: LedgerEntryView["kind"][] = ["credit", "adjustment", "refund"];

export interface LedgerGroup {
  kind: LedgerEntryView["kind"];
  /** The app the entries were for; null for the team's own (a top-up, a credit to the wallet). */
  appId: string | null;
  /** Its name, "(deleted app)" once it is gone. */
  appName: string | null;
  count: number;
  amountMinor: number;
  entries?: { description: string; amountMinor: number }[];
}

export interface LedgerDay {
  day: string;
  groups: LedgerGroup[];
  netMinor: number;
  /** The balance after the day's last entry. */
  balanceAfterMinor: number;
}

async function accountIdOf(db: Db, appId: string): Promise<string> {
  return (await teamAccountOfApp(db, appId)).id;
}

export async function listLedgerDays(db: Db, input: { appId: string; page: number }): Promise<{ days: LedgerDay[]; page: number; hasMore: boolean }> {
  const accountId = await accountIdOf(db, input.appId);
  const offset = (input.page - 1) * LEDGER_DAYS_PER_PAGE;
  const days = await db.$queryRaw<{ day: Date }[]>`
    SELECT DISTINCT date_trunc('day', "createdAt") AS day FROM "LedgerEntry" WHERE "billingAccountId" = ${accountId}
    ORDER BY day DESC LIMIT ${LEDGER_DAYS_PER_PAGE + 1} OFFSET ${offset}`;
  const shown = days.slice(0, LEDGER_DAYS_PER_PAGE);
  if (shown.length === 0) return { days: [], page: input.page, hasMore: false };
  const oldest = shown[shown.length - 1]?.day ?? new Date(0);
  const newestEnd = new Date((shown[0]?.day ?? new Date()).getTime() + 86_400_000);
  // Per app too: one wallet pays for several apps, and the team wants to see which one spent what.
  const groups = await db.$queryRaw<{ day: Date; kind: LedgerEntryView["kind"]; appId: string | null; appName: string | null; count: bigint; amount: bigint }[]>`
    SELECT date_trunc('day', e."createdAt") AS day, e.kind::text AS kind, e."appId" AS "appId", a.name AS "appName", count(*) AS count, sum(e."amountMinor") AS amount
    FROM "LedgerEntry" e LEFT JOIN "App" a ON a.id = e."appId"
    WHERE e."billingAccountId" = ${accountId} AND e."createdAt" >= ${oldest} AND e."createdAt" < ${newestEnd}
    GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC, 2, 4`;
  const closing = await db.$queryRaw<{ day: Date; balance: number }[]>`
    SELECT DISTINCT ON (date_trunc('day', "createdAt")) date_trunc('day', "createdAt") AS day, "balanceAfterMinor" AS balance
    FROM "LedgerEntry" WHERE "billingAccountId" = ${accountId} AND "createdAt" >= ${oldest} AND "createdAt" < ${newestEnd}
    ORDER BY date_trunc('day', "createdAt"), "createdAt" DESC, id DESC`;
  const balanceByDay = new Map(closing.map((row) => [row.day.getTime(), row.balance]));
  const itemised = await db.ledgerEntry.findMany({
    where: { billingAccountId: accountId, kind: { in: ITEMISED_KINDS }, createdAt: { gte: oldest, lt: newestEnd } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { kind: true, appId: true, createdAt: true, description: true, amountMinor: true },
  });
  const itemsOf = (day: string, kind: LedgerEntryView["kind"], appId: string | null) =>
    itemised
      .filter((entry) => entry.kind === kind && entry.appId === appId && entry.createdAt.toISOString().slice(0, 10) === day)
      .map(({ description, amountMinor }) => ({ description, amountMinor }));
  return {
    page: input.page,
    hasMore: days.length > LEDGER_DAYS_PER_PAGE,
    days: shown.map(({ day }) => {
      const dayText = day.toISOString().slice(0, 10);
      const ofDay = groups
        .filter((group) => group.day.getTime() === day.getTime())
        .map(
          (group): LedgerGroup => ({
            kind: group.kind,
            appId: group.appId,
            appName: group.appId === null ? null : (group.appName ?? "(deleted app)"),
            count: Number(group.count),
            amountMinor: Number(group.amount),
            ...(ITEMISED_KINDS.includes(group.kind) ? { entries: itemsOf(dayText, group.kind, group.appId) } : {}),
          }),
        );
      return {
        day: dayText,
        groups: ofDay,
        netMinor: ofDay.reduce((sum, group) => sum + group.amountMinor, 0),
        balanceAfterMinor: balanceByDay.get(day.getTime()) ?? 0,
      };
    }),
  };
}

export async function ledgerCsv(db: Db, input: { appId: string }): Promise<string> {
  const accountId = await accountIdOf(db, input.appId);
  const entries = await db.ledgerEntry.findMany({ where: { billingAccountId: accountId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return csvRows([
    ["created_at", "app_id", "kind", "description", "amount_minor", "balance_after_minor", "period_start", "reference"],
    ...entries.map((entry) => [
      entry.createdAt.toISOString(),
      entry.appId ?? "",
      entry.kind,
      entry.description,
      entry.amountMinor,
      entry.balanceAfterMinor,
      entry.periodStart?.toISOString() ?? "",
      entry.reference ?? "",
    ]),
  ]);
}
