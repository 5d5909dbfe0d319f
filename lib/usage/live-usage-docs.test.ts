// The freshness numbers the docs promise are the ones the code uses.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { USAGE_POLL_MS } from "@/components/apps/queries";
import { DEFAULT_LIVE_USAGE_TIMING } from "./live-usage.types";

const doc = (name: string) => readFileSync(path.join(import.meta.dirname, "..", "..", "docs", name), "utf8");
const seconds = (ms: number) => `${ms / 1000} s`;

describe("usage freshness docs", () => {
  it("state the lateness threshold, the wait, the call timeout and the dashboard's poll the code uses", () => {
    const architecture = doc("ARCHITECTURE.md");
    expect(architecture).toContain(`a request waits ${seconds(DEFAULT_LIVE_USAGE_TIMING.waitMs)} for it`);
    expect(architecture).toContain(`a call is abandoned after ${seconds(DEFAULT_LIVE_USAGE_TIMING.callTimeoutMs)}`);
    expect(architecture).toContain(`older than ${seconds(DEFAULT_LIVE_USAGE_TIMING.lateAfterMs)} is late`);
    expect(architecture).toContain(`The dashboard polls every ${seconds(USAGE_POLL_MS)}`);
    expect(doc("PROTOCOL.md")).toContain(`its last report older than ${seconds(DEFAULT_LIVE_USAGE_TIMING.lateAfterMs)}`);
    expect(doc("dashboard-api.md")).toContain(`late (> ${seconds(DEFAULT_LIVE_USAGE_TIMING.lateAfterMs)})`);
  });
});
