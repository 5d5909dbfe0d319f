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
  it("uses binary units and says so", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1,023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 2)).toBe("5 MiB");
    expect(formatBytes(3.25 * 1024 ** 3)).toBe("3.3 GiB");
  });

  it("can show every value of an axis in one unit", () => {
    const unit = byteUnitFor(4 * 1024 ** 2);
    expect(unit.unit).toBe("MiB");
    expect(formatBytes(512 * 1024, unit)).toBe("0.5 MiB");
    expect(formatBytes(0, unit)).toBe("0 MiB");
  });
});
