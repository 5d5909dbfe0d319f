import { PlanDefaults } from "@tollgate/relay/protocol";

/**
 * How the relays learn of a limit or key change, as the pages explain it: the control plane notifies
 * them at once (lib/relay/notify-relays.ts), and their periodic plan-cache refresh bounds the delay when a
 * notice is lost.
 */
export interface RelayPropagation {
  refreshMs: number;
}

/** Server-only: read from the environment the relays and the web app share. */
export function readRelayPropagation(): RelayPropagation {
  const parsed = Number(process.env.PLAN_CACHE_REFRESH_MS);
  return { refreshMs: Number.isFinite(parsed) && parsed > 0 ? parsed : PlanDefaults.planCacheRefreshMs };
}

export function formatInterval(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

export function formatPropagationDelay(propagation: RelayPropagation): string {
  return `usually at once, at most ${formatInterval(propagation.refreshMs)} later`;
}
