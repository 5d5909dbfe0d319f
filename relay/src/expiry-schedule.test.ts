import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExpirySchedule } from "./expiry-schedule";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("ExpirySchedule", () => {
  it("calls each item at its due time, in due order, on one timer", () => {
    const fired: Array<[string, number]> = [];
    const schedule = new ExpirySchedule<string>((item) => fired.push([item, Date.now()]));
    const dueTimes = [7_000, 2_000, 9_000, 2_000, 5_000, 3_000, 8_000, 1_000];
    dueTimes.forEach((offset, i) => schedule.add(`c${i}`, 1_000_000 + offset));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(fired.map(([item]) => item)).toEqual(["c7", "c1", "c3", "c5", "c4", "c0", "c6", "c2"]);
    for (const [item, at] of fired) expect(at).toBe(1_000_000 + (dueTimes[Number(item.slice(1))] ?? 0));
    expect(schedule.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never calls a removed item, and still calls the others due with it", () => {
    const fired: string[] = [];
    const schedule = new ExpirySchedule<string>((item) => fired.push(item));
    schedule.add("a", 1_005_000);
    schedule.add("b", 1_005_000);
    schedule.add("c", 1_002_000);
    schedule.remove("a", 1_005_000);
    schedule.remove("c", 1_002_000);
    schedule.add("c", 1_002_000);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual(["c", "b"]);
  });

  it("re-arms for an earlier item and fires a past due time at once", () => {
    const fired: string[] = [];
    const schedule = new ExpirySchedule<string>((item) => fired.push(item));
    schedule.add("late", 1_060_000);
    schedule.add("early", 1_001_000);
    schedule.add("overdue", 999_000);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(["overdue"]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(["overdue", "early"]);
    vi.advanceTimersByTime(59_000);
    expect(fired).toEqual(["overdue", "early", "late"]);
  });

  it("keeps its order over many random due times", () => {
    const fired: number[] = [];
    const schedule = new ExpirySchedule<number>((item) => fired.push(item));
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const due = Array.from({ length: 500 }, () => 1_000_000 + Math.floor(random() * 100) * 1_000);
    due.forEach((at, i) => schedule.add(i, at));
    vi.advanceTimersByTime(100_000);
    expect(fired).toHaveLength(500);
    for (let i = 1; i < fired.length; i++) expect(due[fired[i] ?? 0]).toBeGreaterThanOrEqual(due[fired[i - 1] ?? 0] ?? 0);
  });
});
