import { ACTIONS, type Action, Limits, SECRET_KEY_ONLY_ACTIONS } from "@tollgate/relay/protocol";
import { z } from "zod";
import { text } from "@/lib/validation/text";

/** What one key may list (a key's share of its app's state on relays is also bounded per team: tenant-key-budget.ts). */
export const KeyFieldLimits = {
  channelPatterns: 50,
  allowedOrigins: 50,
  /** An origin is a scheme and a host name (at most 253 characters) with perhaps a port. */
  originChars: 255,
} as const;

/** A channel or channel pattern as the relay accepts it (PROTOCOL §4, §5): key patterns and token `channels`. */
export const channelPattern = text()
  .min(1, "A channel pattern cannot be empty")
  // Characters first (never more than the bytes): a cheap bound, and OpenAPI shows it as maxLength.
  .max(Limits.maxChannelNameBytes, `At most ${Limits.maxChannelNameBytes} bytes`)
  .refine((value) => Buffer.byteLength(value, "utf8") <= Limits.maxChannelNameBytes, `At most ${Limits.maxChannelNameBytes} bytes`)
  // eslint-disable-next-line no-control-regex
  .refine((value) => !/[\u0000-\u001f\u007f-\u009f]/.test(value), "Control characters are not allowed");

const origin = text()
  .trim()
  .max(KeyFieldLimits.originChars, `At most ${KeyFieldLimits.originChars} characters`)
  .regex(/^https?:\/\/[^/\s]+$/, "An origin looks like https://example.com (scheme and host, no path)");

export const createKeySchema = z
  .object({
    kind: z.enum(["secret", "publishable"]),
    name: text().trim().min(1, "Give the key a name").max(100),
    channelPatterns: z.array(channelPattern).min(1).max(KeyFieldLimits.channelPatterns).optional(),
    actions: z.array(z.enum(ACTIONS)).min(1, "Pick at least one action").max(ACTIONS.length).optional(),
    allowedOrigins: z.array(origin).max(KeyFieldLimits.allowedOrigins).optional(),
  })
  .strict()
  .refine((body) => body.kind === "publishable" || body.allowedOrigins === undefined || body.allowedOrigins.length === 0, {
    message: "Only publishable keys have allowed origins",
    path: ["allowedOrigins"],
  })
  .refine((body) => body.kind === "secret" || !body.actions?.some((action) => SECRET_KEY_ONLY_ACTIONS.includes(action)), {
    message: `Only secret keys grant ${SECRET_KEY_ONLY_ACTIONS.join(", ")} (their tokens claim it)`,
    path: ["actions"],
  });
export type CreateKeyBody = z.infer<typeof createKeySchema>;

export const MAX_ROLL_GRACE_PERIOD_SEC = 7 * 86_400;
export const DEFAULT_ROLL_GRACE_PERIOD_SEC = 86_400;

export const rollKeySchema = z
  .object({ gracePeriodSec: z.number().int().min(0).max(MAX_ROLL_GRACE_PERIOD_SEC).default(DEFAULT_ROLL_GRACE_PERIOD_SEC) })
  .strict();

export interface KeyView {
  id: string;
  kind: "secret" | "publishable";
  name: string;
  secretPrefix: string | null;
  channelPatterns: string[];
  actions: Action[];
  allowedOrigins: string[];
  status: "active" | "expiring" | "expired" | "revoked";
  revokedAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  rolledFromId: string | null;
}
