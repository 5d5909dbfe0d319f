"use client";
import Link from "next/link";
import { useState } from "react";
import type { SeriesRange, Usage } from "@/components/api-types";
import { Gauge } from "@/components/apps/gauge";
import { AllowanceGauges } from "@/components/billing/payg-allowance";
import { isOnboarded, OnboardingChecklist, onboardingState } from "@/components/apps/onboarding-checklist";
import { OutcomesTable } from "@/components/apps/outcomes-table";
import { ProjectedUsageCharges } from "@/components/apps/projected-usage-charges";
import { useKeys, useUsage, useUsageSeries } from "@/components/apps/queries";
import { TestConsole } from "@/components/apps/test-console";
import { rangeLabels, UsageCharts } from "@/components/apps/usage-charts";
import { UsageExport } from "@/components/apps/usage-export";
import { refreshNote, UpdatedAgo, UsageFreshnessBanner } from "@/components/apps/usage-freshness";
import { formatBytes, formatDate, formatMoney, formatNumber } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { Skeleton, SkeletonBlock } from "@/components/ui/skeleton";

export function AppOverview({ appId }: { appId: string }) {
  const usage = useUsage(appId);
  const [range, setRange] = useState<SeriesRange>("hour");
  const series = useUsageSeries(appId, range);
  const keys = useKeys(appId);
  const onboarding = usage.data && keys.data ? onboardingState(keys.data.keys, usage.data) : null;
  // Until the first message there is nothing to chart: the checklist takes the charts' place.
  const showCharts = onboarding !== null && isOnboarded(onboarding);

  return (
    <div className="stack">
      <UsageFreshnessBanner query={usage} />

      {onboarding && !showCharts && <OnboardingChecklist appId={appId} state={onboarding} />}

      <section aria-labelledby="live-heading" className="stack">
        <div className="section-header">
          <h2 id="live-heading">Live usage</h2>
          {usage.data && (
            <span className="muted small">
              Period {formatDate(new Date(usage.data.periodStartUnix * 1000).toISOString())} –{" "}
              {formatDate(new Date(usage.data.periodEndUnix * 1000).toISOString())} · {refreshNote(usage)}
            </span>
          )}
        </div>
        {usage.isPending ? (
          <div className="gauge-grid" aria-busy="true">
            {[0, 1, 2].map((index) => (
              <div className="card" key={index}>
                <SkeletonBlock rows={3} label="Loading usage" />
              </div>
            ))}
          </div>
        ) : usage.data ? (
          // A failed refresh keeps the last figures on screen; the banner above says so and offers a retry.
          <UsageCards usage={usage.data} appId={appId} />
        ) : (
          <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
        )}
      </section>

      {showCharts && (
        <section aria-labelledby="charts-heading" className="stack">
          <div className="section-header">
            <h2 id="charts-heading">History</h2>
            <div className="segmented" role="group" aria-label="Time range">
              {(Object.keys(rangeLabels) as SeriesRange[]).map((option) => (
                <button key={option} type="button" aria-pressed={range === option} onClick={() => setRange(option)}>
                  {rangeLabels[option]}
                </button>
              ))}
            </div>
          </div>
          {series.isPending ? (
            <div className="chart-grid">
              {[0, 1, 2, 3].map((index) => (
                <div className="card" key={index}>
                  <Skeleton height="200px" />
                </div>
              ))}
            </div>
          ) : series.isError ? (
            <ErrorState error={series.error} onRetry={() => void series.refetch()} />
          ) : (
            <UsageCharts series={series.data} />
          )}
        </section>
      )}

      {/* Closes are worth seeing before the first message too (a refused 4010, a revoked key). */}
      {usage.data && series.data && <OutcomesTable usage={usage.data} closesByCode={series.data.outcomes.closesByCode} />}

      <UsageExport appId={appId} />

      <TestConsole appId={appId} />
    </div>
  );
}

/**
 * The period's gauges, money and counters for the app's plan kind: capped plans show overage (cost, units,
 * whether it is on); pay as you go has no caps and no overage, so it shows its usage charges and the free
 * allowance used instead.
 */
function UsageCards({ usage, appId }: { usage: Usage; appId: string }) {
  const isPayg = usage.plan.kind === "pay_as_you_go";
  // Where a balance pays for usage, an empty one stops it: worth showing in red.
  const balancePaysUsage = isPayg || (usage.plan.overagesAllowed && usage.plan.overagesEnabled);
  const updated = <UpdatedAgo usage={usage} />;
  // Channel limits are optional: a gauge when the plan sets one, a plain count otherwise.
  const channelsLimited = usage.plan.maxActiveChannels !== null || usage.plan.maxPeersPerChannel !== null;
  return (
    <>
      <div className="gauge-grid">
        <Gauge
          label="Concurrent connections"
          used={usage.concurrentNow}
          limit={usage.plan.maxConcurrentConnections}
          detail={`peak ${formatNumber(usage.peakConcurrent)} this period`}
          updated={updated}
        />
        <Gauge
          label="Messages this period"
          used={usage.messagesUsed}
          limit={usage.plan.maxMessagesPerPeriod}
          // Pay as you go has no quota: it refuses only once the balance or the spend cap stops usage charges.
          detail={`${formatNumber(usage.softDrops)} refused (${isPayg ? "no balance or spend cap reached" : "over quota"}, not counted)`}
          updated={updated}
        />
        <div className="card money-card">
          <dl className="kv">
            <div>
              <dt>{isPayg ? "Usage charges so far" : "Overage cost so far"}</dt>
              <dd data-testid={isPayg ? "usage-charges" : "overage-cost"}>{formatMoney(usage.overageCostMinor)}</dd>
            </div>
            <ProjectedUsageCharges amountMinor={usage.projectedCostMinor} />
            <div>
              <dt>Team balance</dt>
              <dd className={usage.balanceMinor <= 0 && balancePaysUsage ? "text-critical" : undefined}>{formatMoney(usage.balanceMinor)}</dd>
            </div>
          </dl>
          <p className="muted small">
            {usage.plan.name} plan ·{" "}
            {isPayg
              ? "usage beyond the free allowance is charged from the balance"
              : `overages ${usage.plan.overagesAllowed ? (usage.plan.overagesEnabled ? "on" : "off") : "not available"}`}{" "}
            · <Link href={`/apps/${appId}/billing`}>Plan &amp; billing</Link>
          </p>
          {updated}
        </div>
      </div>
      {usage.allowance && <AllowanceGauges allowance={usage.allowance} updated={updated} />}
      {channelsLimited && (
        <div className="gauge-grid">
          <Gauge
            label="Active channels"
            used={usage.activeChannels}
            limit={usage.plan.maxActiveChannels}
            detail={
              usage.plan.maxPeersPerChannel === null
                ? "channels with a subscriber now"
                : `at most ${formatNumber(usage.plan.maxPeersPerChannel)} peers per channel`
            }
            updated={updated}
          />
        </div>
      )}
      <dl className="stat-strip card">
        {!isPayg && (
          <>
            <div>
              <dt>Overage messages</dt>
              <dd>{formatNumber(usage.overageMessages)}</dd>
              <dd>{updated}</dd>
            </div>
            <div>
              <dt>Overage connections</dt>
              <dd>{formatNumber(usage.overageConnections)}</dd>
              <dd>{updated}</dd>
            </div>
          </>
        )}
        <div>
          <dt>Delivered</dt>
          <dd data-testid="delivered">{formatNumber(usage.deliveredMessages)}</dd>
          <dd>{updated}</dd>
        </div>
        <div>
          <dt>Egress</dt>
          <dd>{formatBytes(usage.egressBytes)}</dd>
          <dd>{updated}</dd>
        </div>
        <div>
          <dt>Connection-minutes</dt>
          <dd>{formatNumber(usage.connectionMinutes)}</dd>
          <dd>{updated}</dd>
        </div>
        {!channelsLimited && (
          <div>
            <dt>Active channels</dt>
            <dd>{formatNumber(usage.activeChannels)}</dd>
            <dd>{updated}</dd>
          </div>
        )}
      </dl>
    </>
  );
}
