// An audit entry's before/after as the rows a person reads: only fields that changed, nothing that is
// empty on both sides, money as dollars (fields in minor units end in "Minor"), bytes with their unit.
// Shared by the admin page and the CSV export so both say the same thing.

export interface AuditChange {
  field: string;
  before: string | null;
  after: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const number = new Intl.NumberFormat("en-US");

/** "overagePricePer1000MessagesMinor" → "overage price per 1000 messages". */
export function humanFieldName(field: string): string {
  return field
    .replace(/Minor$/, "")
    .replace(/([a-z])([A-Z0-9])/g, "$1 $2")
    .replace(/([0-9])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

/** Ids a page resolved to names (lib/audit/audit-names.ts): a `…Id` field shows the name. */
export type AuditNames = ReadonlyMap<string, string>;
const NO_NAMES: AuditNames = new Map();

export function formatAuditValue(field: string, value: unknown, names: AuditNames = NO_NAMES): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string" && /Id$/.test(field)) return names.get(value) ?? value;
  if (typeof value === "number" && field.endsWith("Minor")) return money.format(value / 100);
  if (typeof value === "number" && /Bytes$/.test(field)) return `${number.format(value / 1e9)} GB`;
  if (typeof value === "number") return number.format(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((item) => (typeof item === "string" ? item : formatAuditValue(field, item, names))).join(", ");
  // A nested record reads as its fields ("affected apps 3, applies from next_period"), never as JSON.
  if (isRecord(value)) {
    const parts = Object.entries(value).flatMap(([key, nested]) => {
      const shown = formatAuditValue(key, nested, names);
      return shown === null ? [] : [`${humanFieldName(key)} ${shown}`];
    });
    return parts.length === 0 ? null : parts.join(", ");
  }
  return String(value);
}

export function auditChanges(before: unknown, after: unknown, names: AuditNames = NO_NAMES): AuditChange[] {
  const left = isRecord(before) ? before : {};
  const right = isRecord(after) ? after : {};
  const fields = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  const changes: AuditChange[] = [];
  for (const field of fields) {
    const was = formatAuditValue(field, left[field], names);
    const now = formatAuditValue(field, right[field], names);
    if (was === now) continue;
    changes.push({ field: humanFieldName(field.replace(/Id$/, "")), before: was, after: now });
  }
  return changes;
}

/** One line for CSV and narrow screens: "name: Chat → Chat 2; plan slug: free → starter". */
export function describeChanges(changes: AuditChange[]): string {
  return changes.map((change) => `${change.field}: ${change.before ?? "—"} → ${change.after ?? "—"}`).join("; ");
}
