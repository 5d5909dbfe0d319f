// Channel glob patterns (PROTOCOL §4): `*` matches a run without `/`, `**` any run including `/`,
// `\*` and `\\` are literal; whole-name, case-sensitive.

const compiled = new Map<string, RegExp>();
const COMPILED_CACHE_MAX = 10_000;

function escapeRegExpChar(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

export function compileGlob(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
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
  const regex = new RegExp(`^${source}$`);
  // The cache is only a speed-up; clearing it when full bounds memory under hostile input.
  if (compiled.size >= COMPILED_CACHE_MAX) compiled.clear();
  compiled.set(pattern, regex);
  return regex;
}

export function globMatches(pattern: string, name: string): boolean {
  return compileGlob(pattern).test(name);
}

/** True when the name contains an unescaped `*`, i.e. a subscription to it is a wildcard subscription. */
export function isWildcard(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charAt(i);
    if (ch === "\\" && (name[i + 1] === "*" || name[i + 1] === "\\")) i++;
    else if (ch === "*") return true;
  }
  return false;
}

// Stand-ins for a requested pattern's wildcards when checking coverage. Channel names never contain
// control characters, so these cannot collide with literal text; `**` gets a `/` so that only an
// allowed `**` can absorb it.
const SINGLE_SEGMENT_STAND_IN = "\u0001";
const MULTI_SEGMENT_STAND_IN = "\u0002/\u0002";

/**
 * Conservative check that every concrete channel matching `requested` also matches `allowed`:
 * `allowed` must match `requested` with its wildcards replaced by stand-ins only a wildcard of at
 * least the same reach can match. May refuse some covered patterns; never accepts an uncovered one.
 */
export function globCovers(allowed: string, requested: string): boolean {
  let probe = "";
  for (let i = 0; i < requested.length; i++) {
    const ch = requested.charAt(i);
    if (ch === "\\" && (requested[i + 1] === "*" || requested[i + 1] === "\\")) {
      probe += requested.charAt(i + 1);
      i++;
    } else if (ch === "*" && requested[i + 1] === "*") {
      probe += MULTI_SEGMENT_STAND_IN;
      i++;
    } else if (ch === "*") {
      probe += SINGLE_SEGMENT_STAND_IN;
    } else {
      probe += ch;
    }
  }
  return compileGlob(allowed).test(probe);
}
