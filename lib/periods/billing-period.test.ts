import { describe, expect, it } from "vitest";
import { addMonthsUtc, billingPeriodAt, toUnixSeconds } from "./billing-period";

const utc = (iso: string) => new Date(iso);

describe("billing periods", () => {
  it("run monthly from the anchor in UTC", () => {
    const anchor = utc("2026-01-15T10:30:00Z");
    expect(billingPeriodAt(anchor, utc("2026-03-20T00:00:00Z"))).toEqual({ start: utc("2026-03-15T10:30:00Z"), end: utc("2026-04-15T10:30:00Z") });
  });

  it("roll over exactly at the anchor instant", () => {
    const anchor = utc("2026-01-15T10:30:00Z");
    expect(billingPeriodAt(anchor, utc("2026-02-15T10:29:59.999Z")).start).toEqual(utc("2026-01-15T10:30:00Z"));
    expect(billingPeriodAt(anchor, utc("2026-02-15T10:30:00Z")).start).toEqual(utc("2026-02-15T10:30:00Z"));
  });

  it("clamp an anchor on the 31st to short months and return to the 31st afterwards", () => {
    const anchor = utc("2026-01-31T00:00:00Z");
    expect(billingPeriodAt(anchor, utc("2026-02-28T12:00:00Z"))).toEqual({ start: utc("2026-02-28T00:00:00Z"), end: utc("2026-03-31T00:00:00Z") });
    expect(billingPeriodAt(anchor, utc("2028-02-29T12:00:00Z")).start).toEqual(utc("2028-02-29T00:00:00Z"));
    expect(addMonthsUtc(anchor, 3)).toEqual(utc("2026-04-30T00:00:00Z"));
  });

  it("cross year boundaries", () => {
    const anchor = utc("2025-11-05T00:00:00Z");
    expect(billingPeriodAt(anchor, utc("2026-01-04T23:59:59Z"))).toEqual({ start: utc("2025-12-05T00:00:00Z"), end: utc("2026-01-05T00:00:00Z") });
  });

  it("map a period's start in Unix seconds back to the same period, even with a sub-second anchor", () => {
    const anchor = utc("2026-01-15T10:30:00.750Z");
    const period = billingPeriodAt(anchor, utc("2026-05-01T00:00:00Z"));
    expect(billingPeriodAt(anchor, new Date(toUnixSeconds(period.start) * 1000))).toEqual(period);
  });

  it("cover instants before the anchor", () => {
    const anchor = utc("2026-03-10T00:00:00Z");
    expect(billingPeriodAt(anchor, utc("2026-02-01T00:00:00Z")).start).toEqual(utc("2026-01-10T00:00:00Z"));
  });
});
