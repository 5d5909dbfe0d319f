// A present peer's connections in one channel: its only connection's id, a set once it has several.
// Most peers have one connection, and a set of one costs ~200 bytes per subscription.

export type ConnectionIds = string | Set<string>;

/** The ids with `connectionId` added. */
export function withConnectionId(ids: ConnectionIds, connectionId: string): ConnectionIds {
  if (typeof ids !== "string") return ids.add(connectionId);
  return ids === connectionId ? ids : new Set([ids, connectionId]);
}

/** The ids without `connectionId`: null when none is left, undefined when it was not among them. */
export function withoutConnectionId(ids: ConnectionIds, connectionId: string): ConnectionIds | null | undefined {
  if (typeof ids === "string") return ids === connectionId ? null : undefined;
  if (!ids.delete(connectionId)) return undefined;
  if (ids.size === 0) return null;
  return ids.size === 1 ? (ids.values().next().value as string) : ids;
}

