import {
  DEFAULT_CHANNEL_PATTERNS,
  DEFAULT_PUBLISHABLE_KEY_ACTIONS,
  DEFAULT_SECRET_KEY_ACTIONS,
  Limits,
  type Action,
} from "@tollgate/relay/protocol";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { encryptSecret, hashSecret, newPublishableKeyId, newSecretKeyPair, visiblePrefix } from "./key-material";
import type { KeyView } from "./key.types";
import { assertTenantKeyBudget } from "./tenant-key-budget";
import { keyViewSelect, toKeyView } from "./to-key-view";

export interface CreateApiKeyInput {
  appId: string;
  kind: "secret" | "publishable";
  name: string;
  channelPatterns?: string[];
  actions?: Action[];
  allowedOrigins?: string[];
  createdById?: string | null;
  actor?: Actor;
  encryptionKey: string;
  /** Set when rolling: the key this one replaces. */
  rolledFromId?: string;
}

export interface CreatedApiKey extends KeyView {
  /** The signing secret: returned once, at creation, never again. */
  secret: string | null;
}

/** Keys that count toward the cap: not revoked and not on their way out after a roll. */
export function keysCountingTowardCap(appId: string): Prisma.ApiKeyWhereInput {
  return { appId, revokedAt: null, expiresAt: null };
}

/**
 * Locks the app row and its team's row, so that counting and inserting keys cannot interleave with
 * another key added to the app (the 50-key cap) or to any app of the team (tenant-key-budget.ts).
 */
export async function lockForKeyChange(tx: Prisma.TransactionClient, appId: string): Promise<{ tenantId: string }> {
  const locked = await tx.$queryRaw<{ tenantId: string }[]>`
    SELECT a."tenantId" FROM "App" a JOIN "Tenant" t ON t.id = a."tenantId" WHERE a.id = ${appId} FOR UPDATE`;
  const row = locked[0];
  if (!row) throw notFound("App");
  return row;
}

/**
 * Inserts a key inside a transaction that already holds lockForKeyChange's locks; refuses the 51st key
 * of the app and a key past the team's budget.
 */
export async function insertApiKey(tx: Prisma.TransactionClient, input: CreateApiKeyInput & { tenantId: string }): Promise<CreatedApiKey> {
  const activeKeys = await tx.apiKey.count({ where: keysCountingTowardCap(input.appId) });
  if (activeKeys >= Limits.maxKeysPerApp) {
    throw new DomainError(
      "limit_exceeded",
      `An app can have at most ${Limits.maxKeysPerApp} keys. Revoke a key you no longer use to create a new one.`,
    );
  }
  const channelPatterns = input.channelPatterns ?? [...DEFAULT_CHANNEL_PATTERNS];
  const allowedOrigins = input.kind === "publishable" ? (input.allowedOrigins ?? []) : [];
  await assertTenantKeyBudget(tx, { tenantId: input.tenantId, adding: { channelPatterns, allowedOrigins }, now: new Date() });
  const pair = input.kind === "secret" ? newSecretKeyPair() : null;
  const defaultActions = input.kind === "secret" ? DEFAULT_SECRET_KEY_ACTIONS : DEFAULT_PUBLISHABLE_KEY_ACTIONS;
  const actor = input.actor ?? { id: input.createdById ?? null };
  const key = await tx.apiKey.create({
    data: {
      id: pair ? pair.keyId : newPublishableKeyId(),
      appId: input.appId,
      kind: input.kind,
      name: input.name.trim(),
      secretHash: pair ? hashSecret(pair.secret) : null,
      secretCiphertext: pair ? encryptSecret(pair.secret, input.encryptionKey) : null,
      secretPrefix: pair ? visiblePrefix(pair.secret) : null,
      channelPatterns,
      actions: [...new Set(input.actions ?? defaultActions)],
      allowedOrigins,
      createdById: actor.id,
      rolledFromId: input.rolledFromId ?? null,
    },
    select: keyViewSelect,
  });
  const view = toKeyView(key);
  await writeAuditLog(tx, {
    actor,
    action: input.rolledFromId ? "api_key.roll" : "api_key.create",
    targetType: "api_key",
    targetId: key.id,
    after: { appId: input.appId, ...view },
  });
  return { ...view, secret: pair?.secret ?? null };
}

/**
 * Creates a key, refusing the 51st key of an app and a key past its team's budget. The app and team
 * rows are locked for the count-and-insert so parallel creates cannot overshoot either.
 */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const created = await db.$transaction(async (tx) => {
    const { tenantId } = await lockForKeyChange(tx, input.appId);
    const key = await insertApiKey(tx, { ...input, tenantId });
    await recordRelayChange(tx, { appId: input.appId });
    return key;
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "key" });
  return created;
}
