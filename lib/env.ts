// Server environment, validated once. A missing or invalid variable fails with a message naming it.
import { z } from "zod";
import { billingEnvSchema } from "@/lib/billing/billing-config";
import { requireAllStripeSettingsOrNone, stripeEnvSchema } from "@/lib/billing/stripe-config";
import { parseAllowedTargets } from "@/lib/net/allowed-targets";

const serverEnvSchema = billingEnvSchema.extend(stripeEnvSchema.shape).extend({
  DATABASE_URL: z.string().url("must be a postgresql:// URL"),
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** Shared secret of the internal relay API (both directions). */
  RELAY_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** 32 bytes, base64: encrypts secret keys' signing secrets at rest (AES-256-GCM). */
  KEY_ENCRYPTION_KEY: z
    .string()
    .refine((value) => Buffer.from(value, "base64").length === 32, "must be 32 bytes encoded as base64"),
  /** Where the control plane reaches a relay node for live operations (peers, publish, disconnect). */
  RELAY_INTERNAL_URL: z.string().url().default("http://127.0.0.1:8080"),
  /** The relay URL customers' clients connect to, shown in the dashboard's connect snippet. */
  RELAY_PUBLIC_URL: z.string().default("ws://localhost:8080"),
  REDIS_URL: z.string().url().optional(),
  /** Requests per second per secret key on /v1 (token bucket with 2× burst); apps, tenants and addresses get multiples (lib/http/api-rate-limits.ts). */
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().int().positive().default(50),
  /** smtp(s)://user:pass@host:port: invitations, password resets and notification emails; unset: no mail. */
  SMTP_URL: z.string().url().refine((value) => /^smtps?:\/\//.test(value), "must be an smtp:// or smtps:// URL").optional(),
  /** The From: of every email Tollgate sends. */
  MAIL_FROM: z.string().min(3).default("Tollgate <no-reply@tollgate.local>"),
  /** The dashboard's public URL: links in mail, and its origin is accepted as same-site besides the request's Host. */
  NEXTAUTH_URL: z.string().url().optional(),
  /** Comma list of proxy IPs whose X-Forwarded-For is believed (the relay's rule, docs/security.md). */
  TRUSTED_PROXIES: z.string().default(""),
  /** "off": this web process runs no job queue runner (run `npm run start:worker` processes instead). */
  JOB_RUNNER: z.enum(["on", "off"]).default("on"),
  /** First retry delay of a failed delivery; each further retry doubles it (capped at one hour). */
  NOTIFICATION_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /** Tries per delivery before it is marked failed. */
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** Per-request timeout of a webhook delivery. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Internal addresses, CIDR ranges and host names webhooks may reach (docs/security.md); empty: public internet only. */
  WEBHOOK_ALLOWED_TARGETS: z
    .string()
    .default("")
    .transform((list, context) => {
      try {
        return parseAllowedTargets(list);
      } catch (error) {
        context.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
}).superRefine(requireAllStripeSettingsOrNone);

export type ServerEnv = z.infer<typeof serverEnvSchema>;

let cached: ServerEnv | undefined;

export function formatEnvError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`)
    .join("\n");
}

export function getServerEnv(): ServerEnv {
  if (cached) return cached;
  const parsed = serverEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid environment:\n${formatEnvError(parsed.error)}`);
  }
  cached = parsed.data;
  return cached;
}

/**
 * Where links in mail point: NEXTAUTH_URL, or without it the launcher's default, http://localhost:$PORT.
 * Never the request's own origin: Next builds it from the Host header, which a stranger chooses, and
 * a password-reset link pointing there would hand the stranger the token.
 */
export function publicDashboardUrl(): string {
  return getServerEnv().NEXTAUTH_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
}
