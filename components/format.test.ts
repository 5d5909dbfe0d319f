import { describe, expect, it } from "vitest";
import { byteUnitFor, formatBytes, parseMoneyToMinor } from "./format";

describe("parseMoneyToMinor", () => {
  it.each([
    ["20", 2_000],
    ["20.5", 2_050],
    ["1000.50", 100_050],
    ["$1,000", 100_000],
    [" $ 12.05 ", 1_205],
    ["1,234,567.89", 123_456_789],
    ["0", 0],
  ])("reads %j as %i cents", (text, minor) => {
    expect(parseMoneyToMinor(text)).toBe(minor);
  });

  it.each(["", "abc", "-5", "1.234", "1,00", "10,00.00", "$", "1e3", "12."])("refuses %j", (text) => {
    expect(parseMoneyToMinor(text)).toBeNull();
  });
});

describe("formatBytes", () => {
  it("uses the decimal units egress is priced in (a GB is 10^9 bytes)", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1 kB");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(5_000_000)).toBe("5 MB");
    // The Pay-as-you-go plan's free allowance, shown beside its price per GB.
    expect(formatBytes(1_000_000_000)).toBe("1 GB");
    expect(formatBytes(3_250_000_000)).toBe("3.3 GB");
  });

  it("can show every value of an axis in one unit", () => {
    const unit = byteUnitFor(4_000_000);
    expect(unit.unit).toBe("MB");
    expect(formatBytes(500_000, unit)).toBe("0.5 MB");
    expect(formatBytes(0, unit)).toBe("0 MB");
  });
});
