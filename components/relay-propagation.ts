import { PlanDefaults } from "@tollgate/relay/protocol";

/** How the relays learn of a limit change, as the admin pages explain it. */
export interface RelayPropagation {
  refreshMs: number;
  /** With Redis the control plane also pushes a change notice, so relays usually refresh at once. */
  instantNotice: boolean;
}

/** Server-only: read from the environment the relays and the web app share. */
export function readRelayPropagation(): RelayPropagation {
  const parsed = Number(process.env.PLAN_CACHE_REFRESH_MS);
  return {
    refreshMs: Number.isFinite(parsed) && parsed > 0 ? parsed : PlanDefaults.planCacheRefreshMs,
    instantNotice: Boolean(process.env.REDIS_URL),
  };
}

export function formatPropagationDelay(propagation: RelayPropagation): string {
  const ms = propagation.refreshMs;
  const interval = ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
  return propagation.instantNotice ? `usually at once, at most ${interval}` : `within ${interval}`;
}
