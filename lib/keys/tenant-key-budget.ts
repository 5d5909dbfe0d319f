// What one team's keys may make every relay carry (docs/security.md). Each key travels in the relay
// snapshot with its channel patterns and allowed origins, and stays there for a week after it is revoked
// or its roll's grace period ends, so relays can close what still uses it. Without a budget, creating and
// revoking keys at speed grows every relay's snapshot without bound (8 MB origins: ~25 MB of keys made
// each rebuild take 1.8 s). Checked whenever a key is added, under the team's lock (create-api-key.ts).
import type { Prisma } from "@/lib/db";
import { DomainError } from "@/lib/errors";

/** A revoked key, or one whose roll grace period has ended, stays in its app's state for relays this long. */
export const RETIRED_KEY_RETENTION_MS = 7 * 86_400_000;

/** The keys an app's state for relays carries at `now`: usable ones, and retired ones for RETIRED_KEY_RETENTION_MS. */
export function keysInRelaySnapshot(now: Date): Prisma.ApiKeyWhereInput {
  const retiredSince = new Date(now.getTime() - RETIRED_KEY_RETENTION_MS);
  return {
    AND: [{ OR: [{ revokedAt: null }, { revokedAt: { gte: retiredSince } }] }, { OR: [{ expiresAt: null }, { expiresAt: { gte: retiredSince } }] }],
  };
}

/**
 * Per team, over the keys of all its apps that relays are given (retired ones included). Far above
 * what a team uses (a key typically lists a few short patterns and origins; 2,000 keys are every app of
 * the default 25-app limit at the 50-key cap, and 750 retired keys besides), yet a team's share of every
 * snapshot stays near 0.6 MB.
 */
export const TenantKeyBudget = {
  maxKeysInSnapshot: 2_000,
  /** UTF-8 bytes of the keys' channel patterns and allowed origins together. */
  maxRuleBytes: 256 * 1024,
} as const;

interface KeyRules {
  channelPatterns: readonly string[];
  allowedOrigins: readonly string[];
}

/** The bytes a key's patterns and origins add to the snapshot (as stored: UTF-8). */
export function keyRuleBytes(key: KeyRules): number {
  return [...key.channelPatterns, ...key.allowedOrigins].reduce((sum, value) => sum + Buffer.byteLength(value, "utf8"), 0);
}

function kilobytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * Refuses a key that would take the team past either budget (409 limit_exceeded, naming it). The
 * caller holds the team's row lock, so two keys added at once cannot both pass on the same count.
 */
export async function assertTenantKeyBudget(tx: Prisma.TransactionClient, input: { tenantId: string; adding: KeyRules; now: Date }): Promise<void> {
  const keys = await tx.apiKey.findMany({
    where: { app: { tenantId: input.tenantId, deletedAt: null }, ...keysInRelaySnapshot(input.now) },
    select: { channelPatterns: true, allowedOrigins: true },
  });
  if (keys.length + 1 > TenantKeyBudget.maxKeysInSnapshot) {
    throw new DomainError(
      "limit_exceeded",
      `Your team's apps have ${keys.length} keys that every relay holds, counting keys revoked or replaced in the last 7 days; ` +
        `a team may have at most ${TenantKeyBudget.maxKeysInSnapshot}. A retired key stops counting 7 days after it is revoked or replaced.`,
    );
  }
  const ruleBytes = keys.reduce((sum, key) => sum + keyRuleBytes(key), keyRuleBytes(input.adding));
  if (ruleBytes > TenantKeyBudget.maxRuleBytes) {
    throw new DomainError(
      "limit_exceeded",
      `This key would bring the channel patterns and allowed origins of your team's keys to ${kilobytes(ruleBytes)}, counting keys revoked or replaced in the last 7 days; ` +
        `a team may have at most ${kilobytes(TenantKeyBudget.maxRuleBytes)}. List fewer or shorter patterns and origins.`,
    );
  }
}
