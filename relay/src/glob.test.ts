import { describe, expect, it } from "vitest";
import { globCovers, globMatches, isWildcard } from "./glob";

describe("channel globs", () => {
  it("matches * within a segment and ** across segments", () => {
    expect(globMatches("chat/*", "chat/a")).toBe(true);
    expect(globMatches("chat/*", "chat/a/b")).toBe(false);
    expect(globMatches("chat/**", "chat/a/b")).toBe(true);
    expect(globMatches("**", "anything/at/all")).toBe(true);
    expect(globMatches("Chat/*", "chat/a")).toBe(false);
    expect(globMatches("a.b", "axb")).toBe(false);
  });

  it("treats \\* and \\\\ as literals", () => {
    expect(globMatches("a\\*", "a*")).toBe(true);
    expect(globMatches("a\\*", "ab")).toBe(false);
    expect(globMatches("a\\\\b", "a\\b")).toBe(true);
    expect(isWildcard("a\\*")).toBe(false);
    expect(isWildcard("a/*")).toBe(true);
  });

  it("checks coverage conservatively", () => {
    expect(globCovers("**", "chat/**")).toBe(true);
    expect(globCovers("chat/**", "chat/*")).toBe(true);
    expect(globCovers("chat/*", "chat/*")).toBe(true);
    expect(globCovers("chat/*", "chat/**")).toBe(false);
    expect(globCovers("chat/a", "chat/*")).toBe(false);
    expect(globCovers("chat/*", "other/*")).toBe(false);
  });
});
