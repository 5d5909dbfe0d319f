// Billing settings from the environment, validated once (lib/env.ts validates the same schema at start).
import { z } from "zod";

export const DEFAULT_PAST_DUE_GRACE_HOURS = 72;

export const billingEnvSchema = z.object({
  /** How long an app whose plan fee could not be charged keeps its plan before falling back to Free's limits. */
  PAST_DUE_GRACE_HOURS: z.coerce.number().positive("must be a positive number of hours").max(24 * 90).default(DEFAULT_PAST_DUE_GRACE_HOURS),
});

let cachedGraceMs: number | undefined;

export function pastDueGraceMs(): number {
  cachedGraceMs ??= billingEnvSchema.parse(process.env).PAST_DUE_GRACE_HOURS * 3_600_000;
  return cachedGraceMs;
}
