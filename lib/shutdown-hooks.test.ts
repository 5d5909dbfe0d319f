import { describe, expect, it } from "vitest";
import { onShutdown, runShutdownHooks } from "./shutdown-hooks";

describe("shutdown hooks", () => {
  it("are awaited, together, and no longer than the grace time", async () => {
    const finished: string[] = [];
    onShutdown(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished.push("runner");
    });
    onShutdown(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      finished.push("slow");
    });
    const started = Date.now();
    await runShutdownHooks(300);
    expect(finished).toEqual(["runner"]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
