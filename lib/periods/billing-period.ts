// Billing periods run monthly from the app's anchor, in UTC. Period n starts at anchor + n months,
// computed from the anchor each time (never chained), so an anchor on the 31st gives Feb 28/29 and
// then the 31st again. Anchors are truncated to whole seconds because relays identify a period by its
// start in Unix seconds.

export interface BillingPeriod {
  start: Date;
  end: Date;
}

function truncateToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function addMonthsUtc(anchor: Date, months: number): Date {
  const monthIndex = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(anchor.getUTCDate(), lastDayOfMonth),
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/** The period containing `at` (periods before the anchor extend backwards the same way). */
export function billingPeriodAt(anchorInput: Date, at: Date): BillingPeriod {
  const anchor = truncateToSecond(anchorInput);
  let n = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  while (addMonthsUtc(anchor, n).getTime() > at.getTime()) n--;
  while (addMonthsUtc(anchor, n + 1).getTime() <= at.getTime()) n++;
  return { start: addMonthsUtc(anchor, n), end: addMonthsUtc(anchor, n + 1) };
}

export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * The calendar month (UTC) around `at`: a team's invoices cover one, and the team's spend cap and
 * auto-recharge ceiling count per one (its apps' own periods start on different days).
 */
export function calendarMonthAt(at: Date): BillingPeriod {
  return { start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)), end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)) };
}
