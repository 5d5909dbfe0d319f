import { describe, expect, it } from "vitest";
import { formatAge, refreshNote } from "./usage-freshness";

describe("usage freshness", () => {
  it("says how long ago a figure was measured", () => {
    expect(formatAge(300)).toBe("just now");
    expect(formatAge(3_200)).toBe("3 s ago");
    expect(formatAge(125_000)).toBe("2 min ago");
    expect(formatAge(2 * 3_600_000 + 5)).toBe("2 h ago");
  });

  it("promises refreshing only while the page refreshes: not offline, not while refreshes fail", () => {
    expect(refreshNote({ fetchStatus: "idle", isError: false })).toBe("refreshes every 2 s");
    expect(refreshNote({ fetchStatus: "paused", isError: false })).toBe("offline: not refreshing");
    expect(refreshNote({ fetchStatus: "idle", isError: true })).toBe("refresh failing, retrying");
  });
});
