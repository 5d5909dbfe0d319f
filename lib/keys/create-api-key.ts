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
import { encryptSecret, hashSecret, newPublishableKeyId, newSecretKeyPair, visiblePrefix } from "./key-material";
import type { KeyView } from "./key.types";
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

/** Locks the app row so that counting and inserting keys cannot interleave with another create. */
export async function lockAppForKeyChange(tx: Prisma.TransactionClient, appId: string): Promise<void> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "App" WHERE id = ${appId} FOR UPDATE`;
  if (locked.length === 0) throw notFound("App");
}

/** Inserts a key inside a transaction that already holds the app lock; refuses the 51st. */
export async function insertApiKey(tx: Prisma.TransactionClient, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const activeKeys = await tx.apiKey.count({ where: keysCountingTowardCap(input.appId) });
  if (activeKeys >= Limits.maxKeysPerApp) {
    throw new DomainError(
      "limit_exceeded",
      `An app can have at most ${Limits.maxKeysPerApp} keys. Revoke a key you no longer use to create a new one.`,
    );
  }
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
      channelPatterns: input.channelPatterns ?? [...DEFAULT_CHANNEL_PATTERNS],
      actions: [...new Set(input.actions ?? defaultActions)],
      allowedOrigins: input.kind === "publishable" ? (input.allowedOrigins ?? []) : [],
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
 * Creates a key, refusing the 51st key of an app. The app row is locked for the count-and-insert so
 * parallel creates cannot overshoot the cap.
 */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const created = await db.$transaction(async (tx) => {
    await lockAppForKeyChange(tx, input.appId);
    return insertApiKey(tx, input);
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "key" });
  return created;
}
