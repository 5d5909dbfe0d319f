import { ACTIONS, type Action } from "@tollgate/relay/protocol";
import type { Prisma } from "@/lib/db";
import type { KeyView } from "./key.types";

export const keyViewSelect = {
  id: true,
  kind: true,
  name: true,
  secretPrefix: true,
  channelPatterns: true,
  actions: true,
  allowedOrigins: true,
  revokedAt: true,
  expiresAt: true,
  lastUsedAt: true,
  createdAt: true,
  rolledFromId: true,
} satisfies Prisma.ApiKeySelect;

export type KeyViewRow = Prisma.ApiKeyGetPayload<{ select: typeof keyViewSelect }>;

/** Actions are stored as text; only the protocol's actions are ever written. */
export function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

export function keyStatus(key: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): KeyView["status"] {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt) return key.expiresAt.getTime() <= now.getTime() ? "expired" : "expiring";
  return "active";
}

/** A key authenticates while it is not revoked and its roll grace period (if any) has not ended. */
export function keyIsUsable(key: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): boolean {
  const status = keyStatus(key, now);
  return status === "active" || status === "expiring";
}

export function toKeyView(key: KeyViewRow, now: Date = new Date()): KeyView {
  return {
    id: key.id,
    kind: key.kind,
    name: key.name,
    secretPrefix: key.secretPrefix,
    channelPatterns: key.channelPatterns,
    actions: key.actions.filter(isAction),
    allowedOrigins: key.allowedOrigins,
    status: keyStatus(key, now),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    rolledFromId: key.rolledFromId,
  };
}
