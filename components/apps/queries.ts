"use client";
// Query keys and fetchers shared by the dashboard pages, so a mutation can invalidate exactly what it changed.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";
import type { App, Billing, Key, Plan, SeriesRange, TenantOfUser, Usage, UsageSeries } from "@/components/api-types";

/** How often live usage is polled while an app page is open: with a relay answering within a second, figures stay under 5 s old. */
export const USAGE_POLL_MS = 2_000;
/** The charts move only with usage flushes (every 10 s by default). */
const SERIES_POLL_MS = 5_000;

export const queryKeys = {
  apps: ["apps"] as const,
  plans: ["plans"] as const,
  app: (appId: string) => ["apps", appId] as const,
  usage: (appId: string) => ["apps", appId, "usage"] as const,
  series: (appId: string, range: SeriesRange) => ["apps", appId, "series", range] as const,
  keys: (appId: string) => ["apps", appId, "keys"] as const,
  billing: (appId: string) => ["apps", appId, "billing"] as const,
};

export interface AppsResponse {
  apps: App[];
  tenants: TenantOfUser[];
  /** The team the dashboard shows (switched in the top bar). */
  activeTenantId: string | null;
}

export function useApps() {
  return useQuery({ queryKey: queryKeys.apps, queryFn: () => apiFetch<AppsResponse>("/api/apps") });
}

export function usePlans() {
  return useQuery({
    queryKey: queryKeys.plans,
    queryFn: async () => (await apiFetch<{ plans: Plan[] }>("/api/plans")).plans,
    staleTime: 60_000,
  });
}

/** `refetchIntervalFor`: how often to ask again given the app as last seen (false: do not poll). */
export function useApp(appId: string, options: { refetchIntervalFor?: (app: App | undefined) => number | false } = {}) {
  const intervalFor = options.refetchIntervalFor;
  return useQuery<App, Error, App, ReturnType<typeof queryKeys.app>>({
    queryKey: queryKeys.app(appId),
    queryFn: async () => (await apiFetch<{ app: App }>(`/api/apps/${encodeURIComponent(appId)}`)).app,
    refetchInterval: intervalFor && ((query) => intervalFor(query.state.data)),
  });
}

export function useUsage(appId: string) {
  return useQuery({
    queryKey: queryKeys.usage(appId),
    queryFn: () => apiFetch<Usage>(`/api/apps/${encodeURIComponent(appId)}/usage`),
    refetchInterval: USAGE_POLL_MS,
    staleTime: 0,
    // A failed refresh keeps the figures on screen (the page says they are not refreshing).
    placeholderData: keepPreviousData,
  });
}

export function useUsageSeries(appId: string, range: SeriesRange) {
  return useQuery({
    queryKey: queryKeys.series(appId, range),
    queryFn: () => apiFetch<UsageSeries>(`/api/apps/${encodeURIComponent(appId)}/usage/series?range=${range}`),
    refetchInterval: SERIES_POLL_MS,
    placeholderData: (previous) => previous,
  });
}

export interface KeysResponse {
  keys: Key[];
  count: number;
  limit: number;
}

export function useKeys(appId: string) {
  return useQuery({
    queryKey: queryKeys.keys(appId),
    queryFn: () => apiFetch<KeysResponse>(`/api/apps/${encodeURIComponent(appId)}/keys`),
  });
}

export function useBilling(appId: string) {
  return useQuery({
    queryKey: queryKeys.billing(appId),
    queryFn: () => apiFetch<Billing>(`/api/apps/${encodeURIComponent(appId)}/billing`),
    refetchInterval: USAGE_POLL_MS,
  });
}
