import { Limits } from "@tollgate/relay/protocol";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { type CreatedApiKey, insertApiKey, keysCountingTowardCap, lockForKeyChange } from "./create-api-key";
import type { KeyView } from "./key.types";
import { isAction, keyIsUsable, keyViewSelect, toKeyView } from "./to-key-view";

export async function listApiKeys(db: Db, input: { appId: string }): Promise<{ keys: KeyView[]; count: number; limit: number }> {
  const [keys, count] = await Promise.all([
    db.apiKey.findMany({ where: { appId: input.appId }, select: keyViewSelect, orderBy: { createdAt: "desc" } }),
    db.apiKey.count({ where: keysCountingTowardCap(input.appId) }),
  ]);
  const now = new Date();
  return { keys: keys.map((key) => toKeyView(key, now)), count, limit: Limits.maxKeysPerApp };
}

/** Revokes a key at once (relays close its live connections with 4001). Revoking twice is a no-op. */
export async function revokeApiKey(db: Db, input: { actor: Actor; appId: string; keyId: string }): Promise<KeyView> {
  const view = await db.$transaction(async (tx) => {
    const key = await tx.apiKey.findFirst({ where: { id: input.keyId, appId: input.appId }, select: keyViewSelect });
    if (!key) throw notFound("Key");
    if (key.revokedAt) return toKeyView(key);
    const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() }, select: keyViewSelect });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "api_key.revoke",
      targetType: "api_key",
      targetId: key.id,
      before: toKeyView(key),
      after: toKeyView(revoked),
    });
    await recordRelayChange(tx, { appId: input.appId });
    return toKeyView(revoked);
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "key" });
  return view;
}

/**
 * Replaces a key with a new one of the same kind, name, patterns, actions and origins. The old key
 * keeps working until the end of the grace period (its expiresAt), so deployments can switch over.
 * The old key stops counting toward the 50-key cap at once, so a roll works at the cap.
 */
export async function rollApiKey(
  db: Db,
  input: { actor: Actor; appId: string; keyId: string; gracePeriodSec: number; encryptionKey: string },
): Promise<{ key: CreatedApiKey; previous: KeyView }> {
  const result = await db.$transaction(async (tx) => {
    const { tenantId } = await lockForKeyChange(tx, input.appId);
    const old = await tx.apiKey.findFirst({ where: { id: input.keyId, appId: input.appId }, select: keyViewSelect });
    if (!old) throw notFound("Key");
    const now = new Date();
    if (!keyIsUsable(old, now)) throw new DomainError("conflict", "A revoked or expired key cannot be rolled");
    if (old.expiresAt) throw new DomainError("conflict", "This key was already rolled; roll its replacement instead");
    const expiresAt = new Date(now.getTime() + input.gracePeriodSec * 1000);
    const previous = await tx.apiKey.update({ where: { id: old.id }, data: { expiresAt }, select: keyViewSelect });
    const key = await insertApiKey(tx, {
      appId: input.appId,
      tenantId,
      kind: old.kind,
      name: old.name,
      channelPatterns: old.channelPatterns,
      actions: old.actions.filter(isAction),
      allowedOrigins: old.allowedOrigins,
      actor: input.actor,
      encryptionKey: input.encryptionKey,
      rolledFromId: old.id,
    });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "api_key.expire_after_roll",
      targetType: "api_key",
      targetId: old.id,
      before: toKeyView(old, now),
      after: { ...toKeyView(previous, now), replacedBy: key.id },
    });
    await recordRelayChange(tx, { appId: input.appId });
    return { key, previous: toKeyView(previous, now) };
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "key" });
  return result;
}
