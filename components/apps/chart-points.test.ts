import { describe, expect, it } from "vitest";
import type { UsageSeries } from "@/components/api-types";
import { summarize, toChartPoints } from "./chart-points";

function series(bucketSec: number, values: number[]): UsageSeries {
  return {
    range: "day",
    bucketSec,
    fromUnix: 0,
    toUnix: values.length * bucketSec,
    points: values.map((messages, index) => ({ tUnix: index * bucketSec, messages, delivered: messages, egressBytes: 0, peakConcurrent: 1, softDrops: 0, connectionMinutes: 0 })),
    outcomes: { delivered: 0, softDrops: 0, closesByCode: {} },
  };
}

describe("toChartPoints", () => {
  it("leaves buckets that have not begun empty instead of drawing zeros", () => {
    const points = toChartPoints(series(60, [3, 0, 0, 0]), 60_000);
    expect(points.map((point) => point.delivered)).toEqual([3, 0, null, null]);
    expect(points.map((point) => point.peakConcurrent)).toEqual([1, 1, null, null]);
  });

  it("averages long buckets to messages per minute", () => {
    const points = toChartPoints(series(900, [150]), 0);
    expect(points[0]?.messagesPerMinute).toBe(10);
  });

  it("summarizes only the buckets that have begun", () => {
    const points = toChartPoints(series(60, [2, 5, 9]), 60_000);
    expect(summarize(points, "delivered")).toEqual({ peak: 5, total: 7 });
  });
});
