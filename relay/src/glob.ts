// Channel glob patterns (PROTOCOL §4): `*` matches a run without `/`, `**` any run including `/`,
// `\*` and `\\` are literal (a backslash before anything else is itself literal); whole-name,
// case-sensitive.
//
// Matching never backtracks, because patterns come from clients (wildcard subscriptions) and
// tenants (key patterns, token claims): a backtracking RegExp for `**a**a…**b` held the event loop
// for seconds on a 48-byte name. A pattern compiles once into its literal prefix, its literal
// suffix and the run between its first and last wildcard; that run is matched by a position
// automaton that reads the name once and tracks every pattern position at the same time as one bit,
// so a match costs O(pattern × name / 32) word operations whatever the pattern.

const SLASH = 0x2f;
const ASTERISK = 0x2a;
const BACKSLASH = 0x5c;
/** Pattern element for `*`. Every other element is the UTF-16 code unit it matches literally. */
const SEGMENT_STAR = -1;
/** Pattern element for `**`. */
const ANY_STAR = -2;

function isStar(element: number): boolean {
  return element < 0;
}

function literalText(codes: readonly number[]): string {
  return codes.map((code) => String.fromCharCode(code)).join("");
}

function parseGlob(pattern: string): number[] {
  const elements: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const code = pattern.charCodeAt(i);
    const next = pattern.charCodeAt(i + 1);
    if (code === BACKSLASH && (next === ASTERISK || next === BACKSLASH)) {
      elements.push(next);
      i++;
    } else if (code === ASTERISK) {
      const star = next === ASTERISK ? ANY_STAR : SEGMENT_STAR;
      if (star === ANY_STAR) i++;
      const previous = elements.at(-1);
      // Adjacent wildcards match exactly what the wider of them matches alone. Merging them leaves
      // every wildcard followed by a literal (or the end), which the automata below rely on.
      if (previous !== undefined && isStar(previous)) elements[elements.length - 1] = previous === ANY_STAR || star === ANY_STAR ? ANY_STAR : SEGMENT_STAR;
      else elements.push(star);
    } else {
      elements.push(code);
    }
  }
  return elements;
}

// The wildcard run of a pattern is matched by a position automaton, Shift-And style: bit k of the
// state says "the first k elements match what has been read". Each character moves every position
// at once with a few word operations, so a name costs O(elements / 32) operations per character.
// Per character: positions at a matching literal advance; positions at a wildcard stay (a `*` not on
// `/`); and since a wildcard may match nothing, a position reaching one reaches the position after
// it too. That position is never a wildcard itself (see parseGlob), so one step is the whole closure.

const ASCII_CODES = 128;
/** Runs of up to 31 elements: their 32 positions fit one 32-bit word. */
const WORD_ELEMENTS = 31;

class WordAutomaton {
  /** Positions holding `*` or `**`. */
  private readonly stars: number;
  /** Positions holding `**`: they also stay on `/`. */
  private readonly anyStars: number;
  private readonly accept: number;
  /** The position of a trailing `**`, if any: reaching it accepts whatever follows, so reading stops. */
  private readonly acceptRest: number;
  /** Character code → positions holding that literal (zero for characters the run lacks). */
  private readonly asciiLiterals = new Int32Array(ASCII_CODES);
  private readonly otherLiterals = new Map<number, number>();

  constructor(elements: readonly number[]) {
    this.accept = 1 << elements.length;
    this.acceptRest = elements.at(-1) === ANY_STAR ? 1 << (elements.length - 1) : 0;
    let stars = 0;
    let anyStars = 0;
    elements.forEach((element, position) => {
      const bit = 1 << position;
      if (isStar(element)) {
        stars |= bit;
        if (element === ANY_STAR) anyStars |= bit;
      } else if (element < ASCII_CODES) {
        this.asciiLiterals[element] = (this.asciiLiterals[element] ?? 0) | bit;
      } else {
        this.otherLiterals.set(element, (this.otherLiterals.get(element) ?? 0) | bit);
      }
    });
    this.stars = stars;
    this.anyStars = anyStars;
  }

  /** Whether the run matches `name` from `start` to `end` (exclusive), whole. */
  accepts(name: string, start: number, end: number): boolean {
    // Fields read into locals once: this loop runs for every wildcard subscriber of every message.
    const { stars, anyStars, acceptRest, asciiLiterals } = this;
    let state = 1 | ((stars & 1) << 1);
    for (let i = start; i < end; i++) {
      const code = name.charCodeAt(i);
      const literal = code < ASCII_CODES ? (asciiLiterals[code] ?? 0) : (this.otherLiterals.get(code) ?? 0);
      state = ((state & literal) << 1) | (state & (code === SLASH ? anyStars : stars));
      state |= (state & stars) << 1;
      if (state === 0) return false;
      if ((state & acceptRest) !== 0) return true;
    }
    return (state & this.accept) !== 0;
  }
}

/** The same automaton over an array of words, for runs longer than WORD_ELEMENTS. */
class WordArrayAutomaton {
  private readonly wordCount: number;
  private readonly acceptWord: number;
  private readonly acceptBit: number;
  private readonly stars: Int32Array;
  private readonly anyStars: Int32Array;
  private readonly asciiLiterals: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(ASCII_CODES);
  private readonly otherLiterals = new Map<number, Int32Array>();
  // Scratch state, reused: matching is synchronous, so two matches never interleave.
  private active: Int32Array;
  private following: Int32Array;

  constructor(elements: readonly number[]) {
    this.wordCount = (elements.length >>> 5) + 1;
    this.acceptWord = elements.length >>> 5;
    this.acceptBit = elements.length & 31;
    this.stars = new Int32Array(this.wordCount);
    this.anyStars = new Int32Array(this.wordCount);
    this.active = new Int32Array(this.wordCount);
    this.following = new Int32Array(this.wordCount);
    elements.forEach((element, position) => {
      const word = position >>> 5;
      const bit = 1 << (position & 31);
      if (isStar(element)) {
        this.stars[word] = (this.stars[word] ?? 0) | bit;
        if (element === ANY_STAR) this.anyStars[word] = (this.anyStars[word] ?? 0) | bit;
        return;
      }
      let mask = this.literalsOf(element);
      if (!mask) {
        mask = new Int32Array(this.wordCount);
        if (element < ASCII_CODES) this.asciiLiterals[element] = mask;
        else this.otherLiterals.set(element, mask);
      }
      mask[word] = (mask[word] ?? 0) | bit;
    });
  }

  private literalsOf(code: number): Int32Array | undefined {
    return code < ASCII_CODES ? this.asciiLiterals[code] : this.otherLiterals.get(code);
  }

  accepts(name: string, start: number, end: number): boolean {
    let active = this.active;
    let following = this.following;
    active.fill(0);
    active[0] = 1 | (((this.stars[0] ?? 0) & 1) << 1);
    for (let i = start; i < end; i++) {
      const code = name.charCodeAt(i);
      const literal = this.literalsOf(code);
      const staying = code === SLASH ? this.anyStars : this.stars;
      let literalCarry = 0;
      let skipCarry = 0;
      let alive = 0;
      for (let word = 0; word < this.wordCount; word++) {
        const current = active[word] ?? 0;
        const advanced = literal === undefined ? 0 : current & (literal[word] ?? 0);
        let next = (advanced << 1) | literalCarry | (current & (staying[word] ?? 0));
        literalCarry = advanced >>> 31;
        const atStar = next & (this.stars[word] ?? 0);
        next |= (atStar << 1) | skipCarry;
        skipCarry = atStar >>> 31;
        following[word] = next;
        alive |= next;
      }
      if (alive === 0) return false;
      const read = active;
      active = following;
      following = read;
    }
    return (((active[this.acceptWord] ?? 0) >>> this.acceptBit) & 1) === 1;
  }
}

/** How the run from a pattern's first to its last wildcard is matched. */
const RunKind = { None: 0, SegmentStar: 1, AnyStar: 2, Automaton: 3 } as const;
type RunKind = (typeof RunKind)[keyof typeof RunKind];

/** A channel pattern compiled once; `matches` takes O(pattern × name) time at worst. */
export class CompiledGlob {
  /** Literal text before the first wildcard (the whole pattern when it has none). */
  private readonly prefix: string;
  /** Literal text after the last wildcard. */
  private readonly suffix: string;
  /** The common runs, a lone `*` or `**`, skip the automaton. */
  private readonly runKind: RunKind;
  private readonly automaton: WordAutomaton | WordArrayAutomaton | null;

  constructor(pattern: string) {
    const elements = parseGlob(pattern);
    const first = elements.findIndex(isStar);
    const last = elements.findLastIndex(isStar);
    // Every pattern sets the same fields in the same order: all compiled globs share one object
    // shape, which keeps the hub's per-subscriber `matches` call fast.
    this.prefix = literalText(first === -1 ? elements : elements.slice(0, first));
    this.suffix = first === -1 ? "" : literalText(elements.slice(last + 1));
    const run = first === -1 ? [] : elements.slice(first, last + 1);
    if (run.length === 0) this.runKind = RunKind.None;
    else if (run.length > 1) this.runKind = RunKind.Automaton;
    else this.runKind = run[0] === ANY_STAR ? RunKind.AnyStar : RunKind.SegmentStar;
    if (run.length <= 1) this.automaton = null;
    else this.automaton = run.length <= WORD_ELEMENTS ? new WordAutomaton(run) : new WordArrayAutomaton(run);
  }

  matches(name: string): boolean {
    if (this.runKind === RunKind.None) return name === this.prefix;
    const start = this.prefix.length;
    const end = name.length - this.suffix.length;
    if (end < start || !name.startsWith(this.prefix) || (this.suffix.length > 0 && !name.endsWith(this.suffix))) return false;
    if (this.runKind === RunKind.AnyStar) return true;
    if (this.runKind === RunKind.SegmentStar) {
      const slash = name.indexOf("/", start);
      return slash === -1 || slash >= end;
    }
    return this.automaton !== null && this.automaton.accepts(name, start, end);
  }
}

const compiled = new Map<string, CompiledGlob>();
const COMPILED_CACHE_MAX = 10_000;

export function compileGlob(pattern: string): CompiledGlob {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const glob = new CompiledGlob(pattern);
  // The cache is only a speed-up; clearing it when full bounds memory under hostile input.
  if (compiled.size >= COMPILED_CACHE_MAX) compiled.clear();
  compiled.set(pattern, glob);
  return glob;
}

export function globMatches(pattern: string, name: string): boolean {
  // Most patterns are plain names: compared as they are, they need no compiled form (nor a cache entry).
  if (pattern.indexOf("*") === -1 && pattern.indexOf("\\") === -1) return pattern === name;
  return compileGlob(pattern).matches(name);
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
  return compileGlob(allowed).matches(probe);
}
