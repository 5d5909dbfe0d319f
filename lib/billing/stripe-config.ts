// Stripe's three settings (docs/operations.md, "Going live with Stripe"): all set, Stripe takes the
// payments; none set, the built-in test provider does. lib/env.ts validates the same schema at start, so
// a half-configured deployment fails naming the missing variable instead of taking payments it cannot
// confirm (no webhook secret) or save cards for (no publishable key).
import { z } from "zod";
import { text } from "@/lib/validation/text";

export const STRIPE_ENV_NAMES = ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"] as const;

/** An empty variable counts as unset, as deployment templates often leave them. */
function setting(pattern: RegExp, message: string) {
  return z.preprocess((value) => (value === "" ? undefined : value), text().max(255).regex(pattern, message).optional());
}

export const stripeEnvSchema = z.object({
  /** Server-side API key (sk_test_… / sk_live_…, or a restricted rk_… key). */
  STRIPE_SECRET_KEY: setting(/^(sk|rk)_(test|live)_\w+$/, "must be a Stripe secret key (sk_test_… or sk_live_…)"),
  /** Browser-side key for Stripe Elements (pk_test_… / pk_live_…). */
  STRIPE_PUBLISHABLE_KEY: setting(/^pk_(test|live)_\w+$/, "must be a Stripe publishable key (pk_test_… or pk_live_…)"),
  /** Signing secret of the webhook endpoint /api/stripe/webhook (whsec_…). */
  STRIPE_WEBHOOK_SECRET: setting(/^whsec_\w+$/, "must be a Stripe webhook signing secret (whsec_…)"),
});

type StripeEnv = z.infer<typeof stripeEnvSchema>;

/** The all-or-none rule, as a refinement of any schema holding the three variables. */
export function requireAllStripeSettingsOrNone(env: StripeEnv, context: z.RefinementCtx): void {
  const set = STRIPE_ENV_NAMES.filter((name) => env[name] !== undefined);
  if (set.length === 0 || set.length === STRIPE_ENV_NAMES.length) return;
  for (const name of STRIPE_ENV_NAMES.filter((candidate) => env[candidate] === undefined)) {
    context.addIssue({ code: "custom", path: [name], message: `must be set too: Stripe needs all of ${STRIPE_ENV_NAMES.join(", ")} (${set.join(", ")} set)` });
  }
}

export interface StripeSettings {
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
}

/** Stripe's settings, or null when Stripe is not configured. Throws on a half or malformed configuration. */
export function stripeSettingsOf(env: Record<string, string | undefined>): StripeSettings | null {
  const parsed = stripeEnvSchema.superRefine(requireAllStripeSettingsOrNone).parse(env);
  if (!parsed.STRIPE_SECRET_KEY || !parsed.STRIPE_PUBLISHABLE_KEY || !parsed.STRIPE_WEBHOOK_SECRET) return null;
  return { secretKey: parsed.STRIPE_SECRET_KEY, publishableKey: parsed.STRIPE_PUBLISHABLE_KEY, webhookSecret: parsed.STRIPE_WEBHOOK_SECRET };
}
