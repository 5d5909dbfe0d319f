// Display formatting. Money arrives in integer minor units (cents) and stays integer until shown.
const numberFormat = new Intl.NumberFormat("en-US");
const compactFormat = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

export function formatCompact(value: number): string {
  return compactFormat.format(value);
}

export function formatMoney(minor: number, currency = "USD"): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(minor / 100);
}

/**
 * Parses an amount typed by a person ("20", "$1,000", "1000.50", " $ 12.5 ") into integer cents; null
 * when it is not an amount of money (negative, more than two decimals, misplaced thousands commas).
 */
export function parseMoneyToMinor(text: string): number | null {
  const trimmed = text.trim().replace(/^\$\s*/, "");
  if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$/.test(trimmed)) return null;
  const [whole = "0", fraction = ""] = trimmed.replaceAll(",", "").split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

export function minorToInput(minor: number): string {
  return (minor / 100).toFixed(2);
}

/**
 * The decimal (1000-based) unit a byte count is best shown in, so an axis can use one unit throughout.
 * Decimal because egress, the bytes we show, is priced per GB of 10^9 bytes (lib/billing/pricing.ts).
 */
export const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB"] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];

export function byteUnitFor(bytes: number): { unit: ByteUnit; divisor: number } {
  let index = 0;
  while (Math.abs(bytes) >= 1000 ** (index + 1) && index < BYTE_UNITS.length - 1) index += 1;
  return { unit: BYTE_UNITS[index] ?? "B", divisor: 1000 ** index };
}

/** 0 B, 512 B, 1.5 kB, 12 MB, 1 GB: decimal units, at most one decimal. */
export function formatBytes(bytes: number, unit = byteUnitFor(bytes)): string {
  const value = bytes / unit.divisor;
  const rounded = unit.divisor === 1 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${formatNumber(rounded)} ${unit.unit}`;
}

export function formatLimit(limit: number | null): string {
  return limit === null ? "unlimited" : formatNumber(limit);
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
}

export function formatRelative(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
