"use client";
// An app's limits on the admin's app page: what relays enforce, and what the app uses now against them.
import { useQuery } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";
import type { EffectiveLimits, Usage } from "@/components/api-types";
import { USAGE_POLL_MS } from "@/components/apps/queries";
import { UpdatedAgo } from "@/components/apps/usage-freshness";
import { formatBytes, formatLimit, formatNumber } from "@/components/format";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";

/** What the app uses right now, next to the override form, so an admin sees what a new limit would cut. */
export function LiveUsageCard({ appId, limits }: { appId: string; limits: EffectiveLimits }) {
  const usage = useQuery({
    queryKey: ["admin", "app", appId, "usage"],
    queryFn: () => apiFetch<Usage>(`/api/admin/apps/${encodeURIComponent(appId)}/usage`),
    refetchInterval: USAGE_POLL_MS,
  });
  return (
    <section className="card stack" aria-labelledby="live-usage-heading">
      <h3 id="live-usage-heading">Live usage</h3>
      {usage.isPending ? (
        <SkeletonBlock rows={3} label="Loading usage" />
      ) : !usage.data ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <dl className="kv" data-testid="admin-live-usage">
          <div>
            <dt>Connections now</dt>
            <dd>
              {formatNumber(usage.data.concurrentNow)} of {formatLimit(limits.maxConcurrentConnections)}
            </dd>
          </div>
          <div>
            <dt>Peak this period</dt>
            <dd>{formatNumber(usage.data.peakConcurrent)}</dd>
          </div>
          <div>
            <dt>Messages this period</dt>
            <dd>
              {formatNumber(usage.data.messagesUsed)} of {formatLimit(limits.maxMessagesPerPeriod)}
            </dd>
          </div>
          <div>
            <dt>Active channels now</dt>
            <dd>
              {formatNumber(usage.data.activeChannels)} of {formatLimit(limits.maxActiveChannels)}
            </dd>
          </div>
          <div>
            <dt>Measured</dt>
            <dd>
              <UpdatedAgo usage={usage.data} />
              {usage.isError && <span className="small text-critical"> · refresh failing</span>}
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}

export function EffectiveLimitsCard({ limits }: { limits: EffectiveLimits }) {
  return (
    <section className="card stack" aria-labelledby="effective-heading">
      <h3 id="effective-heading">Effective limits (what relays enforce)</h3>
      <dl className="kv horizontal" data-testid="effective-limits">
        <div>
          <dt>Concurrent connections</dt>
          <dd>{formatLimit(limits.maxConcurrentConnections)}</dd>
        </div>
        <div>
          <dt>Messages per period</dt>
          <dd>{formatLimit(limits.maxMessagesPerPeriod)}</dd>
        </div>
        <div>
          <dt>Overages</dt>
          <dd>{limits.overagesAllowed ? "allowed" : "not allowed"}</dd>
        </div>
        <div>
          <dt>Token bucket</dt>
          <dd>
            {limits.tokenBucketRefillPerSecond}/s, burst {limits.tokenBucketBurst}
          </dd>
        </div>
        <div>
          <dt>Connects per IP</dt>
          <dd>{limits.connectAttemptsPerIpPerMinute}/min</dd>
        </div>
        <div>
          <dt>Control frames</dt>
          <dd>
            {limits.controlFrameRefillPerSecond}/s, burst {limits.controlFrameBurst}
          </dd>
        </div>
        <div>
          <dt>Inbound bytes</dt>
          <dd>{formatBytes(limits.inboundBytesPerSecond)}/s per connection</dd>
        </div>
        <div>
          <dt>Channel history</dt>
          <dd>{limits.historySize > 0 && limits.historyTtlSeconds > 0 ? `${formatNumber(limits.historySize)} messages for ${formatNumber(limits.historyTtlSeconds)} s` : "off"}</dd>
        </div>
        <div>
          <dt>Peers per channel</dt>
          <dd>{formatLimit(limits.maxPeersPerChannel)}</dd>
        </div>
        <div>
          <dt>Active channels</dt>
          <dd>{formatLimit(limits.maxActiveChannels)}</dd>
        </div>
      </dl>
    </section>
  );
}
