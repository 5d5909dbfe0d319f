import { describe, expect, it } from "vitest";
import { niceStep, niceTicks, timeTicks, zoneLabel, zoneOffsetMs } from "./chart-scale";

describe("niceTicks", () => {
  it("rounds the top up to a 1-2-5 step", () => {
    expect(niceTicks(13)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(7_300)).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
    expect(niceTicks(0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
  });

  it("never gives counts a fractional tick, and an empty chart still has an axis", () => {
    expect(niceTicks(2, { integers: true })).toEqual([0, 1, 2]);
    expect(niceTicks(0, { integers: true })).toEqual([0, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it("keeps the step within the tick budget", () => {
    for (const max of [1, 3, 9, 11, 49, 51, 999, 1_001, 123_456]) {
      const step = niceStep(max, 4);
      expect(Math.ceil(max / step)).toBeLessThanOrEqual(4);
      expect(String(step)).toMatch(/^[125]0*$|^0\.0*[125]$/);
    }
  });
});

describe("timeTicks", () => {
  const at = (iso: string) => Date.parse(iso);

  it("puts an hour's ticks on round ten minutes", () => {
    const ticks = timeTicks(at("2026-12-01T10:07:00Z"), at("2026-12-01T11:07:00Z"));
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(["10:10", "10:20", "10:30", "10:40", "10:50", "11:00"]);
  });

  it("puts a day's ticks on round hours and stays within the budget", () => {
    const ticks = timeTicks(at("2026-12-01T10:15:00Z"), at("2026-12-02T10:15:00Z"));
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const tick of ticks) expect(new Date(tick).getUTCMinutes()).toBe(0);
    expect(new Date(ticks[0] ?? 0).getUTCHours() % 6).toBe(0);
  });

  it("rounds in the display zone, so ticks fall on the wall clock's round hours", () => {
    const kolkata = (t: number) => zoneOffsetMs("Asia/Kolkata", t);
    const ticks = timeTicks(at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"), { offsetMs: kolkata });
    for (const tick of ticks) expect((tick + kolkata(tick)) % (60 * 60_000)).toBe(0);
  });
});

describe("zoneLabel", () => {
  const winter = Date.parse("2026-01-15T12:00:00Z");
  const summer = Date.parse("2026-07-15T12:00:00Z");

  it("names UTC plainly and other zones with their offset at that instant", () => {
    expect(zoneLabel("UTC", winter)).toBe("UTC");
    expect(zoneLabel("Etc/UTC", winter)).toBe("UTC");
    expect(zoneLabel("Europe/Berlin", winter)).toBe("Europe/Berlin (UTC+1)");
    expect(zoneLabel("Europe/Berlin", summer)).toBe("Europe/Berlin (UTC+2)");
    expect(zoneLabel("America/New_York", winter)).toBe("America/New_York (UTC−5)");
    expect(zoneLabel("Asia/Kolkata", winter)).toBe("Asia/Kolkata (UTC+5:30)");
    expect(zoneLabel("Europe/London", winter)).toBe("Europe/London (UTC)");
  });
});
