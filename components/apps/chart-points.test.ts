import { describe, expect, it } from "vitest";
import type { UsageSeries } from "@/components/api-types";
import { bucketNote, summarize, toChartPoints } from "./chart-points";

function series(bucketSec: number, values: number[]): UsageSeries {
  return {
    range: "day",
    bucketSec,
    fromUnix: 0,
    toUnix: values.length * bucketSec,
    points: values.map((messages, index) => ({
      tUnix: index * bucketSec,
      messages,
      softDrops: 1,
      peakMessagesPerMinute: Math.ceil(messages / 2),
      peakSoftDropsPerMinute: 1,
      delivered: messages,
      egressBytes: 0,
      peakConcurrent: 1,
      connectionMinutes: 0,
    })),
    outcomes: { delivered: 0, softDrops: 0, closesByCode: {} },
  };
}

describe("toChartPoints", () => {
  it("leaves buckets that have not begun empty instead of drawing zeros", () => {
    const points = toChartPoints(series(60, [3, 0, 0, 0]), 60_000);
    expect(points.map((point) => point.delivered)).toEqual([3, 0, null, null]);
    expect(points.map((point) => point.peakConcurrent)).toEqual([1, 1, null, null]);
  });

  it("shows a long bucket's busiest minute of accepted and refused messages, not an average, and says so", () => {
    const points = toChartPoints(series(900, [150]), 0);
    expect(points[0]?.acceptedPerMinute).toBe(75);
    expect(points[0]?.refusedPerMinute).toBe(1);
    expect(bucketNote(900)).toBe("busiest minute of each 15-minute bucket");
    expect(bucketNote(86_400)).toBe("busiest minute of each day");
    expect(bucketNote(60)).toBe("");
  });

  it("summarizes only the buckets that have begun", () => {
    const points = toChartPoints(series(60, [2, 5, 9]), 60_000);
    expect(summarize(points, "delivered")).toEqual({ peak: 5, total: 7 });
  });
});
