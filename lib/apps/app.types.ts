import { z } from "zod";
import { text } from "@/lib/validation/text";
import type { EffectiveLimits } from "@/lib/plans/effective-limits";
import type { OverrideView, PlanView } from "@/lib/plans/plan.types";

export const createAppSchema = z
  .object({
    name: text().trim().min(1, "Give the app a name").max(100),
    planSlug: text().trim().min(1).max(40).optional(),
    tenantId: text().trim().min(1).max(100).optional(),
  })
  .strict();
export type CreateAppBody = z.infer<typeof createAppSchema>;

export const updateAppSchema = z
  .object({
    name: text().trim().min(1, "Give the app a name").max(100),
    planSlug: text().trim().min(1).max(40),
    overagesEnabled: z.boolean(),
  })
  .partial()
  .strict();
export type UpdateAppBody = z.infer<typeof updateAppSchema>;

export const suspendAppSchema = z.object({ reason: text().trim().max(500).optional() }).strict();

export const searchQuerySchema = z.object({ q: text().trim().max(200).optional() });

export interface AppView {
  id: string;
  name: string;
  tenantId: string;
  tenantName: string;
  status: "active" | "suspended";
  overagesEnabled: boolean;
  plan: Pick<PlanView, "id" | "slug" | "name" | "kind" | "overagesAllowed">;
  limits: EffectiveLimits;
  override: OverrideView | null;
  billingAnchor: string;
  period: { start: string; end: string };
  relayUrl: string;
  createdAt: string;
  /** Why an admin suspended the app, shown to its team. */
  suspendedReason: string | null;
  /** Soft delete: only admins ever see a deleted app. */
  deletedAt: string | null;
  deletedByEmail: string | null;
}

