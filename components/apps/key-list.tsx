"use client";
import { useState } from "react";
import type { Key } from "@/components/api-types";
import { filterKeys, isRetired, KEY_FILTERS, type KeyFilter } from "@/components/apps/key-filter";
import { KeyTable } from "@/components/apps/key-table";
import type { RelayPropagation } from "@/components/relay-propagation";

const filterLabels: Record<KeyFilter, string> = { all: "All", active: "Active", expiring: "Expiring", revoked: "Revoked" };

interface KeyListProps {
  appId: string;
  keys: Key[];
  propagation: RelayPropagation;
  onRolled(result: { key: Key; secret: string | null }): void;
}

/** Status filter and search over the app's keys; revoked and expired keys are folded away unless asked for. */
export function KeyList({ appId, keys, propagation, onRolled }: KeyListProps) {
  const [filter, setFilter] = useState<KeyFilter>("all");
  const [query, setQuery] = useState("");
  const matching = filterKeys(keys, { filter, query });
  const working = filter === "revoked" ? [] : matching.filter((key) => !isRetired(key));
  const retired = matching.filter(isRetired);
  const countFor = (option: KeyFilter) => filterKeys(keys, { filter: option, query: "" }).length;

  return (
    <div className="stack">
      <div className="filter-bar">
        <div className="segmented" role="group" aria-label="Key status">
          {KEY_FILTERS.map((option) => (
            <button key={option} type="button" aria-pressed={filter === option} onClick={() => setFilter(option)}>
              {filterLabels[option]} <span className="muted">{countFor(option)}</span>
            </button>
          ))}
        </div>
        <input type="search" className="filter-search" aria-label="Search keys" placeholder="Search by name or key id" value={query} onChange={(event) => setQuery(event.target.value)} />
      </div>
      {matching.length === 0 ? (
        <p className="empty">{query.trim() ? `No ${filter === "all" ? "" : `${filterLabels[filter].toLowerCase()} `}keys match “${query.trim()}”.` : `No ${filterLabels[filter].toLowerCase()} keys.`}</p>
      ) : (
        <>
          {working.length > 0 && <KeyTable appId={appId} keys={working} propagation={propagation} label="Keys" onRolled={onRolled} />}
          {retired.length > 0 &&
            (filter === "revoked" ? (
              <KeyTable appId={appId} keys={retired} propagation={propagation} label="Revoked keys" onRolled={onRolled} />
            ) : (
              <details className="retired-keys">
                <summary>Revoked and expired keys ({retired.length})</summary>
                <KeyTable appId={appId} keys={retired} propagation={propagation} label="Revoked keys" onRolled={onRolled} />
              </details>
            ))}
        </>
      )}
    </div>
  );
}
