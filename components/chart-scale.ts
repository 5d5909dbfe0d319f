// Pure helpers for chart axes: round value ticks, time ticks shared by neighbouring charts, and the
// label of the time zone the times are shown in. No React here, so they are unit-tested directly.

/** The smallest "nice" step (1, 2 or 5 times a power of ten) that covers `max` in at most `maxTicks` steps. */
export function niceStep(max: number, maxTicks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const multiple of [1, 2, 5, 10]) {
    const step = multiple * power;
    if (step >= raw) return step;
  }
  return 10 * power;
}

/**
 * Round y ticks from 0 to a round top at or above `max`: [0, 5, 10, 15] for 13, [0, 1] for 0.
 * `integers` keeps counts from getting fractional ticks (a count of 0.5 messages means nothing).
 */
export function niceTicks(max: number, options: { maxTicks?: number; integers?: boolean } = {}): number[] {
  const step = options.integers ? Math.max(1, niceStep(max, options.maxTicks)) : niceStep(max, options.maxTicks);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  // Multiplying (rather than adding) keeps 0.1 + 0.2 style drift out of the labels.
  for (let index = 0; index * step <= top + step / 1e9; index += 1) ticks.push(Number((index * step).toPrecision(12)));
  return ticks;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const timeStepsMs = [5, 10, 15, 30].map((m) => m * MINUTE_MS).concat([1, 2, 3, 4, 6, 12].map((h) => h * HOUR_MS), [1, 2, 3, 5, 7].map((d) => d * DAY_MS));

/**
 * Time ticks at round instants (every 10 minutes, every 3 hours, every 5 days…) inside [fromMs, toMs], at
 * most `maxTicks` of them. Rounding is done in the display zone: `offsetMs(t)` is that zone's offset from
 * UTC at t (0 for UTC), so a tick lands on 12:00 of the wall clock the label shows.
 */
export function timeTicks(fromMs: number, toMs: number, options: { maxTicks?: number; offsetMs?: (t: number) => number } = {}): number[] {
  const maxTicks = options.maxTicks ?? 6;
  const offsetMs = options.offsetMs ?? (() => 0);
  const span = toMs - fromMs;
  if (!(span > 0)) return [fromMs];
  const step = timeStepsMs.find((candidate) => span / candidate <= maxTicks) ?? Math.ceil(span / maxTicks / DAY_MS) * DAY_MS;
  const ticks: number[] = [];
  const offset = offsetMs(fromMs);
  for (let local = Math.ceil((fromMs + offset) / step) * step; local - offset <= toMs; local += step) ticks.push(local - offset);
  return ticks;
}

/** The browser's IANA time zone (UTC on servers and in tests that do not set one). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The offset of `timeZone` from UTC at `atMs`, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(timeZone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(atMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/** "UTC" for UTC, otherwise the zone and its offset: "Europe/Berlin (UTC+1)", "Asia/Kolkata (UTC+5:30)". */
export function zoneLabel(timeZone: string, atMs: number): string {
  const offsetMinutes = Math.round(zoneOffsetMs(timeZone, atMs) / MINUTE_MS);
  if (offsetMinutes === 0 && /^(Etc\/)?(UTC|GMT|UCT|Zulu|Universal)$/i.test(timeZone)) return "UTC";
  const sign = offsetMinutes < 0 ? "−" : "+";
  const hours = Math.floor(Math.abs(offsetMinutes) / 60);
  const minutes = Math.abs(offsetMinutes) % 60;
  const offset = offsetMinutes === 0 ? "UTC" : `UTC${sign}${hours}${minutes ? `:${String(minutes).padStart(2, "0")}` : ""}`;
  return `${timeZone} (${offset})`;
}
