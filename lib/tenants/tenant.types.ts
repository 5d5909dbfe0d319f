import { z } from "zod";

/** A platform admin's app limit for one tenant; null returns it to DEFAULT_MAX_APPS_PER_TENANT. */
export const setTenantAppLimitSchema = z.object({
  maxApps: z.number().int().nonnegative().max(10_000).nullable(),
});
export type SetTenantAppLimitBody = z.infer<typeof setTenantAppLimitSchema>;

export interface TenantAppLimitView {
  /** The tenant's own limit, or null when the default applies. */
  maxApps: number | null;
  /** The limit in force. */
  appLimit: number;
  defaultAppLimit: number;
}
