import type { Key } from "@/components/api-types";

export const KEY_FILTERS = ["all", "active", "expiring", "revoked"] as const;
export type KeyFilter = (typeof KEY_FILTERS)[number];

/** Revoked and expired keys no longer authenticate: they are history, listed apart and collapsed. */
export function isRetired(key: Key): boolean {
  return key.status === "revoked" || key.status === "expired";
}

/**
 * Keys matching the chosen status and the search text (name, key id or secret prefix, any case).
 * "revoked" also shows expired keys: both are keys that stopped working.
 */
export function filterKeys(keys: readonly Key[], options: { filter: KeyFilter; query: string }): Key[] {
  const query = options.query.trim().toLowerCase();
  return keys.filter((key) => {
    const statusMatches = options.filter === "all" || (options.filter === "revoked" ? isRetired(key) : key.status === options.filter);
    if (!statusMatches) return false;
    if (!query) return true;
    return [key.name, key.id, key.secretPrefix ?? ""].some((text) => text.toLowerCase().includes(query));
  });
}
