// The key form's channel patterns, one per line (commas also separate), with where each came from, so an
// error the server reports for `channelPatterns.3` is shown under the patterns naming its line, and a
// pattern the relay accepts but a person may not mean (a space inside a name) is pointed out before saving.
import { ApiError } from "@/components/api";

export interface PatternLine {
  /** 1-based line of the textarea. */
  line: number;
  pattern: string;
}

export function patternLinesOf(text: string): PatternLine[] {
  return text.split("\n").flatMap((row, index) =>
    row
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0)
      .map((pattern) => ({ line: index + 1, pattern })),
  );
}

const EXCERPT_CHARS = 24;

function excerpt(pattern: string): string {
  return pattern.length > EXCERPT_CHARS ? `“${pattern.slice(0, EXCERPT_CHARS)}…” (${pattern.length} characters)` : `“${pattern}”`;
}

/** The server's complaint about the patterns (the list or one of them), naming the line; else undefined. */
export function patternErrorOf(error: unknown, lines: readonly PatternLine[]): string | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  if (error.field === "channelPatterns") return error.message;
  const index = /^channelPatterns\.(\d+)$/.exec(error.field)?.[1];
  if (index === undefined) return undefined;
  const entry = lines[Number(index)];
  return entry ? `Line ${entry.line}, ${excerpt(entry.pattern)}: ${error.message}` : error.message;
}

/**
 * Patterns the relay accepts as written but that likely mean something else: whitespace is part of a
 * channel name (PROTOCOL §4–§5 refuse only control characters), so "foo bar" matches only a channel
 * named exactly that, never "foo" and "bar".
 */
export function patternWarningsOf(lines: readonly PatternLine[]): string[] {
  return lines
    .filter((entry) => /\s/.test(entry.pattern))
    .map((entry) => `Line ${entry.line}, ${excerpt(entry.pattern)}, contains a space: spaces are part of a channel name, so it matches only channels with that exact space. Put each pattern on its own line.`);
}
