import { describe, expect, it } from "vitest";
import { refreshOnNotice } from "./refresh-on-notice";

describe("refreshOnNotice", () => {
  it("refreshes once per notice when idle, and once more after an in-flight refresh for any notices during it", async () => {
    const started: Array<() => void> = [];
    const refresh = () => new Promise<void>((resolve) => started.push(resolve));
    const notify = refreshOnNotice(refresh);
    notify();
    expect(started).toHaveLength(1);
    // Three notices while the first refresh runs: one trailing refresh, not three, and not zero.
    notify();
    notify();
    notify();
    expect(started).toHaveLength(1);
    started[0]?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toHaveLength(2);
    started[1]?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toHaveLength(2);
    notify();
    expect(started).toHaveLength(3);
    started[2]?.();
  });

  it("keeps going after a failed refresh", async () => {
    let calls = 0;
    const notify = refreshOnNotice(async () => {
      calls += 1;
      throw new Error("control plane down");
    });
    notify();
    await new Promise((resolve) => setTimeout(resolve, 0));
    notify();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toBe(2);
  });
});
