import { describe, expect, it } from "vitest";
import { ApiError } from "@/components/api";
import { patternErrorOf, patternLinesOf, patternWarningsOf } from "./channel-pattern-lines";

describe("channel patterns in the key form", () => {
  it("keeps the line each pattern came from, skipping blank lines", () => {
    expect(patternLinesOf("chat/*\n\n  news/** , alerts\n")).toEqual([
      { line: 1, pattern: "chat/*" },
      { line: 3, pattern: "news/**" },
      { line: 3, pattern: "alerts" },
    ]);
  });

  it("puts the server's error for one pattern under the patterns, naming its line", () => {
    const lines = patternLinesOf(`chat/*\n\n${"x".repeat(600)}`);
    const error = new ApiError(422, "invalid_request", "At most 256 bytes", "channelPatterns.1");
    expect(patternErrorOf(error, lines)).toBe("Line 3, “xxxxxxxxxxxxxxxxxxxxxxxx…” (600 characters): At most 256 bytes");
    expect(patternErrorOf(new ApiError(422, "invalid_request", "Too many", "channelPatterns"), lines)).toBe("Too many");
    expect(patternErrorOf(new ApiError(422, "invalid_request", "Pick at least one action", "actions"), lines)).toBeUndefined();
  });

  it("warns about a space inside a pattern, which the relay takes as part of the name", () => {
    expect(patternWarningsOf(patternLinesOf("chat/*\nfoo bar"))).toEqual([expect.stringMatching(/^Line 2, “foo bar”, contains a space/)]);
    expect(patternWarningsOf(patternLinesOf("chat/*\n  news/**  "))).toEqual([]);
  });
});
