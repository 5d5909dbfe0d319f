import {
  DEFAULT_CHANNEL_PATTERNS,
  DEFAULT_PUBLISHABLE_KEY_ACTIONS,
  DEFAULT_SECRET_KEY_ACTIONS,
  Limits,
  type Action,
} from "@tollgate/relay/protocol";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { encryptSecret, hashSecret, newPublishableKeyId, newSecretKeyPair, visiblePrefix } from "./key-material";

export interface CreateApiKeyInput {
  appId: string;
  kind: "secret" | "publishable";
  name: string;
  channelPatterns?: string[];
  actions?: Action[];
  allowedOrigins?: string[];
  createdById?: string | null;
  encryptionKey: string;
  /** Set when rolling: the key this one replaces. */
  rolledFromId?: string;
}

export interface CreatedApiKey {
  id: string;
  kind: "secret" | "publishable";
  name: string;
  /** The signing secret: returned once, at creation, never again. */
  secret: string | null;
  channelPatterns: string[];
  actions: string[];
  allowedOrigins: string[];
  createdAt: Date;
}

/**
 * Creates a key, refusing the 51st key of an app. The app row is locked for the count-and-insert so
 * parallel creates cannot overshoot the cap.
 */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const pair = input.kind === "secret" ? newSecretKeyPair() : null;
  const keyId = pair ? pair.keyId : newPublishableKeyId();
  const defaultActions = input.kind === "secret" ? DEFAULT_SECRET_KEY_ACTIONS : DEFAULT_PUBLISHABLE_KEY_ACTIONS;

  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "App" WHERE id = ${input.appId} FOR UPDATE`;
    if (locked.length === 0) throw notFound("App");
    const activeKeys = await tx.apiKey.count({ where: { appId: input.appId, revokedAt: null } });
    if (activeKeys >= Limits.maxKeysPerApp) {
      throw new DomainError(
        "limit_exceeded",
        `An app can have at most ${Limits.maxKeysPerApp} keys. Revoke a key you no longer use to create a new one.`,
      );
    }
    const key = await tx.apiKey.create({
      data: {
        id: keyId,
        appId: input.appId,
        kind: input.kind,
        name: input.name,
        secretHash: pair ? hashSecret(pair.secret) : null,
        secretCiphertext: pair ? encryptSecret(pair.secret, input.encryptionKey) : null,
        secretPrefix: pair ? visiblePrefix(pair.secret) : null,
        channelPatterns: input.channelPatterns ?? [...DEFAULT_CHANNEL_PATTERNS],
        actions: input.actions ?? [...defaultActions],
        allowedOrigins: input.kind === "publishable" ? (input.allowedOrigins ?? []) : [],
        createdById: input.createdById ?? null,
        rolledFromId: input.rolledFromId ?? null,
      },
      select: { id: true, kind: true, name: true, channelPatterns: true, actions: true, allowedOrigins: true, createdAt: true },
    });
    await tx.auditLog.create({
      data: {
        actorId: input.createdById ?? null,
        action: "api_key.create",
        targetType: "api_key",
        targetId: key.id,
        after: { appId: input.appId, kind: key.kind, name: key.name, channelPatterns: key.channelPatterns, actions: key.actions },
      },
    });
    return { ...key, secret: pair?.secret ?? null };
  });
}
