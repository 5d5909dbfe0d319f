"use client";
// The team's wallet on the team page: one balance pays for every app of the team, so this is where an
// owner sees it whole (balance, card, auto-recharge) and what each app drew from it this month. Topping
// up and changing the card or auto-recharge happen on any app's Plan & billing page.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { apiFetch } from "@/components/api";
import { formatDate, formatMoney } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";
import type { TeamWalletSummary } from "@/lib/billing/team-wallet-summary";

export function TeamWalletCard({ tenantId }: { tenantId: string }) {
  const wallet = useQuery({
    queryKey: ["team", tenantId, "wallet"],
    queryFn: () => apiFetch<{ wallet: TeamWalletSummary }>(`/api/tenants/${encodeURIComponent(tenantId)}/wallet`),
  });
  return (
    <section className="card stack" aria-labelledby="team-wallet-heading">
      <h2 id="team-wallet-heading">Team wallet</h2>
      {wallet.isPending ? (
        <SkeletonBlock rows={3} label="Loading the team wallet" />
      ) : wallet.isError ? (
        <ErrorState error={wallet.error} onRetry={() => void wallet.refetch()} />
      ) : (
        <WalletFigures wallet={wallet.data.wallet} />
      )}
    </section>
  );
}

function WalletFigures({ wallet }: { wallet: TeamWalletSummary }) {
  const { autoRecharge, paymentMethod, currency } = wallet;
  const manageAt = wallet.apps[0];
  return (
    <>
      <dl className="kv horizontal">
        <div>
          <dt>Balance</dt>
          <dd data-testid="team-balance">{formatMoney(wallet.balanceMinor, currency)}</dd>
        </div>
        <div>
          <dt>Card</dt>
          <dd>{paymentMethod ? `${paymentMethod.brand} ending ${paymentMethod.last4}` : "No card on file yet"}</dd>
        </div>
        <div>
          <dt>Auto-recharge</dt>
          <dd>
            {autoRecharge.enabled
              ? `on: ${formatMoney(autoRecharge.amountMinor, currency)} when below ${formatMoney(autoRecharge.thresholdMinor, currency)}`
              : "off"}
          </dd>
        </div>
      </dl>
      {wallet.apps.length === 0 ? (
        <p className="empty">No apps yet. Every app of the team will pay its plan and usage from this wallet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Usage charges by app this month">
            <caption className="muted small">
              Usage charges (overage and pay as you go) from {formatDate(wallet.month.start)} to {formatDate(new Date(Date.parse(wallet.month.end) - 1).toISOString())} (UTC)
            </caption>
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Plan</th>
                <th scope="col" className="num">
                  Usage charges
                </th>
              </tr>
            </thead>
            <tbody>
              {wallet.apps.map((app) => (
                <tr key={app.id}>
                  <td data-label="App">
                    <Link href={`/apps/${encodeURIComponent(app.id)}/billing`}>{app.name}</Link>
                  </td>
                  <td data-label="Plan">{app.planName}</td>
                  <td data-label="Usage charges" className="num">
                    {formatMoney(app.usageChargesMinor, currency)}
                  </td>
                </tr>
              ))}
              {wallet.deletedAppsUsageChargesMinor > 0 && (
                <tr>
                  <td data-label="App" className="muted">
                    Deleted apps
                  </td>
                  <td data-label="Plan" />
                  <td data-label="Usage charges" className="num">
                    {formatMoney(wallet.deletedAppsUsageChargesMinor, currency)}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {manageAt && (
        <p className="muted small">
          Top up, change the card or auto-recharge on any app&apos;s <Link href={`/apps/${encodeURIComponent(manageAt.id)}/billing`}>Plan &amp; billing</Link> page: it is
          the same wallet.
        </p>
      )}
    </>
  );
}
