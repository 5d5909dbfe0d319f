"use client";
// The ledger, one row per day and kind (a relay flush writes an entry every few seconds), two weeks a
// page, with every entry as CSV; and the payment attempts, declines included.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { apiFetch } from "@/components/api";
import type { Billing, LedgerEntry } from "@/components/api-types";
import { formatDate, formatDateTime, formatMoney, formatNumber } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import type { LedgerDay } from "@/lib/billing/list-ledger";

function attemptResult(attempt: Billing["attempts"][number]): string {
  switch (attempt.status) {
    case "succeeded":
      return "Succeeded";
    case "declined":
      return `Declined: ${attempt.failureReason ?? "unknown reason"}`;
    case "pending":
      return "Pending: waiting for the card provider's answer";
  }
}

export const ledgerKindLabel: Record<LedgerEntry["kind"], string> = {
  top_up: "Top-up",
  overage_debit: "Usage charges",
  auto_recharge: "Auto-recharge",
  refund: "Refund",
  adjustment: "Adjustment",
  plan_fee: "Plan fee",
  plan_credit: "Plan credit",
  card_payment: "Card payment",
  credit: "Credit",
};

export function LedgerSection({ appId, billing }: { appId: string; billing: Billing }) {
  const [page, setPage] = useState(1);
  const ledger = useQuery({
    queryKey: ["apps", appId, "billing", "ledger", page],
    queryFn: () => apiFetch<{ days: LedgerDay[]; page: number; hasMore: boolean }>(`/api/apps/${encodeURIComponent(appId)}/billing/ledger?page=${page}`),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="card stack" aria-labelledby="ledger-heading">
      <div className="section-header">
        <h2 id="ledger-heading">Team ledger</h2>
        <a className="small-button" href={`/api/apps/${encodeURIComponent(appId)}/billing/ledger?format=csv`} download>
          Export CSV
        </a>
      </div>
      <p className="muted small">The team wallet&apos;s movements for all its apps, per day, kind and app. The CSV has every entry with its app and the balance after.</p>
      {ledger.isPending ? (
        <SkeletonBlock rows={3} label="Loading ledger" />
      ) : ledger.isError ? (
        <ErrorState error={ledger.error} onRetry={() => void ledger.refetch()} />
      ) : ledger.data.days.length === 0 ? (
        <p className="empty">No ledger entries yet. Top-ups, plan fees, usage charges and recharges appear here.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Ledger">
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col">Kind</th>
                <th scope="col">App</th>
                <th scope="col" className="num">
                  Entries
                </th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance at day end
                </th>
              </tr>
            </thead>
            <tbody>
              {ledger.data.days.flatMap((day) =>
                day.groups.map((group, index) => (
                  <tr key={`${day.day}-${group.kind}-${group.appId ?? "team"}`}>
                    <td data-label="Day">{index === 0 ? formatDate(`${day.day}T00:00:00Z`) : ""}</td>
                    <td data-label="Kind">
                      {ledgerKindLabel[group.kind]}
                      {group.entries && (
                        <ul className="plain-list small muted">
                          {group.entries.map((entry, entryIndex) => (
                            <li key={entryIndex}>
                              {entry.description} ({formatMoney(entry.amountMinor, billing.currency)})
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td data-label="App">{group.appName ?? <span className="muted">Team</span>}</td>
                    <td data-label="Entries" className="num">
                      {formatNumber(group.count)}
                    </td>
                    <td data-label="Amount" className={`num ${group.amountMinor < 0 ? "text-critical" : "text-healthy"}`}>
                      {group.amountMinor > 0 ? "+" : ""}
                      {formatMoney(group.amountMinor, billing.currency)}
                    </td>
                    <td data-label="Balance at day end" className="num">
                      {index === 0 ? formatMoney(day.balanceAfterMinor, billing.currency) : ""}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}
      {ledger.data && (page > 1 || ledger.data.hasMore) && (
        <div className="actions">
          <button type="button" onClick={() => setPage((current) => Math.max(1, current - 1))} disabled={page === 1}>
            Newer
          </button>
          <span className="muted small">Page {page}</span>
          <button type="button" onClick={() => setPage((current) => current + 1)} disabled={!ledger.data.hasMore}>
            Older
          </button>
        </div>
      )}
      {billing.attempts.length > 0 && (
        <details>
          <summary>Payment attempts ({billing.attempts.length})</summary>
          <div className="table-wrap">
            <table className="table responsive" aria-label="Payment attempts">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {billing.attempts.map((attempt) => (
                  <tr key={attempt.id}>
                    <td data-label="When">{formatDateTime(attempt.createdAt)}</td>
                    <td data-label="Kind">{attempt.kind === "top_up" ? "Top-up" : attempt.kind === "plan_fee" ? `Plan fee (${attempt.trigger})` : `Auto-recharge (${attempt.trigger})`}</td>
                    <td data-label="Result">{attemptResult(attempt)}</td>
                    <td data-label="Amount" className="num">
                      {formatMoney(attempt.amountMinor, billing.currency)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}
