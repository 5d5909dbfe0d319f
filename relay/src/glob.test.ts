import { describe, expect, it } from "vitest";
import { globCovers, globMatches, isWildcard } from "./glob";
import { seededRandom } from "./seeded-random";

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

// The RegExp compiler the relay used before matching became linear, kept here only as the reference
// semantics: it backtracks, so it is run on short inputs only.
function escapeRegExpChar(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

function referenceRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === "\\" && (pattern[i + 1] === "*" || pattern[i + 1] === "\\")) {
      source += escapeRegExpChar(pattern.charAt(i + 1));
      i++;
    } else if (ch === "*" && pattern[i + 1] === "*") {
      source += "[\\s\\S]*";
      i++;
    } else if (ch === "*") {
      source += "[^/]*";
    } else {
      source += escapeRegExpChar(ch);
    }
  }
  return new RegExp(`^${source}$`);
}

function referenceCovers(allowed: string, requested: string): boolean {
  const probe = requested.replace(/\\([*\\])|\*\*|\*/g, (token: string, escaped: string | undefined) => escaped ?? (token === "**" ? "\u0002/\u0002" : "\u0001"));
  return referenceRegExp(allowed).test(probe);
}

function randomText(random: () => number, alphabet: string, maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1));
  let text = "";
  for (let i = 0; i < length; i++) text += alphabet.charAt(Math.floor(random() * alphabet.length));
  return text;
}

describe("channel globs agree with the former RegExp semantics", () => {
  // `*`, `**`, `***`, `\*`, `\\`, stray backslashes and `/` all occur often over this alphabet.
  const ALPHABET = "ab/*\\";

  it("matches like the RegExp on thousands of seeded random patterns and names", () => {
    const random = seededRandom(22);
    let matched = 0;
    for (let run = 0; run < 20_000; run++) {
      const pattern = randomText(random, ALPHABET, 12);
      // Names are drawn from the same alphabet, and sometimes are the pattern itself, so literal
      // `*` and `\` are matched as well and matches are not rare.
      const name = random() < 0.2 ? pattern : randomText(random, ALPHABET, 14);
      const expected = referenceRegExp(pattern).test(name);
      if (globMatches(pattern, name) !== expected) expect({ pattern, name, matches: !expected }).toEqual({ pattern, name, matches: expected });
      if (expected) matched += 1;
    }
    // The comparison means little if nearly every pair fails to match.
    expect(matched).toBeGreaterThan(1_000);
  });

  it("decides coverage like the RegExp on thousands of seeded random pattern pairs", () => {
    const random = seededRandom(2022);
    let covered = 0;
    for (let run = 0; run < 20_000; run++) {
      const allowed = randomText(random, ALPHABET, 10);
      const requested = random() < 0.2 ? allowed : randomText(random, ALPHABET, 10);
      const expected = referenceCovers(allowed, requested);
      if (globCovers(allowed, requested) !== expected) expect({ allowed, requested, covers: !expected }).toEqual({ allowed, requested, covers: expected });
      if (expected) covered += 1;
    }
    expect(covered).toBeGreaterThan(1_000);
  });

  it("matches patterns longer than one 32-position word like the RegExp", () => {
    const random = seededRandom(7);
    for (let run = 0; run < 2_000; run++) {
      // Few wildcards keep the reference RegExp fast while the run between them spans several words.
      const pattern = randomText(random, "ab/", 30) + "*" + randomText(random, "ab/", 40) + "**" + randomText(random, "ab/", 30) + "*";
      const name = random() < 0.5 ? pattern.replace(/\*+/g, () => randomText(random, "ab", 3)) : randomText(random, "ab/", 110);
      const expected = referenceRegExp(pattern).test(name);
      if (globMatches(pattern, name) !== expected) expect({ pattern, name, matches: !expected }).toEqual({ pattern, name, matches: expected });
    }
  });
});

describe("channel globs never backtrack", () => {
  const MAX_BYTES = 256;
  const repeat = (unit: string): string => unit.repeat(Math.ceil(MAX_BYTES / unit.length)).slice(0, MAX_BYTES);
  // Patterns that make a backtracking matcher try exponentially (or high-polynomially) many splits.
  const patterns = [
    repeat("**a"),
    repeat("*a"),
    `${"**a".repeat(85)}b`,
    `${"*a".repeat(127)}b`,
    repeat("**a*a"),
    repeat("*a**a/"),
    `${"**a/".repeat(63)}**b`,
    `${"*a/".repeat(84)}*b`,
    repeat("**ab"),
  ];
  const names = [repeat("a"), repeat("a/"), `${repeat("a").slice(1)}b`, `${repeat("a/").slice(2)}/b`, repeat("ab"), repeat("aab/")];

  it("matches every 256-byte adversarial pattern against every 256-byte name in well under a millisecond", () => {
    let slowestMs = 0;
    for (const pattern of patterns) {
      for (const name of names) {
        // The fastest of several rounds: a garbage collection or a busy machine can stretch one round,
        // never all of them, while a backtracking matcher is slow in every round (seconds per match).
        let fastestMs = Infinity;
        for (let round = 0; round < 5; round++) {
          const started = performance.now();
          for (let i = 0; i < 10; i++) {
            globMatches(pattern, name);
            globCovers(pattern, name);
          }
          fastestMs = Math.min(fastestMs, (performance.now() - started) / 10);
        }
        slowestMs = Math.max(slowestMs, fastestMs);
      }
    }
    expect(slowestMs).toBeLessThan(1);
  });

  it("still finds the matches among them", () => {
    expect(globMatches(repeat("**a"), repeat("a"))).toBe(true);
    expect(globMatches(`${"**a".repeat(85)}b`, `${repeat("a").slice(1)}b`)).toBe(true);
    expect(globMatches(`${"**a".repeat(85)}b`, repeat("a"))).toBe(false);
    expect(globMatches(`${"*a/".repeat(84)}*b`, `${repeat("a/").slice(2)}/b`)).toBe(false);
    expect(globMatches(`${"**a/".repeat(63)}**b`, `${repeat("a/").slice(2)}/b`)).toBe(true);
  });
});
