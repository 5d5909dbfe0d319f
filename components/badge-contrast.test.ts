// Every status badge and pill of the stylesheet (a rule that sets both a background and a text colour
// from theme variables, on a .badge, .status-* or .count-badge selector) meets WCAG AA for its small
// text, 4.5:1, in the light theme and both ways of getting the dark one.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const css = readFileSync(path.resolve(import.meta.dirname, "..", "app", "globals.css"), "utf8");

/** The custom properties declared in the first block that opens with `opener`. */
function themeVariables(opener: string): Map<string, string> {
  const start = css.indexOf(opener);
  if (start < 0) throw new Error(`no block ${opener}`);
  const body = css.slice(css.indexOf("{", start) + 1, css.indexOf("}", start));
  return new Map([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((match) => [match[1] ?? "", (match[2] ?? "").trim()]));
}

const light = themeVariables(":root {");
const themes: Record<string, Map<string, string>> = {
  light,
  "dark (toggle)": new Map([...light, ...themeVariables(':root[data-theme="dark"]')]),
  "dark (system)": new Map([...light, ...themeVariables(':root:not([data-theme="light"])')]),
};

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function luminance(hex: string): number {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match?.[1]) throw new Error(`not a #rrggbb colour: ${hex}`);
  const rgb = [0, 2, 4].map((offset) => parseInt(match[1]?.slice(offset, offset + 2) ?? "0", 16));
  return 0.2126 * channel(rgb[0] ?? 0) + 0.7152 * channel(rgb[1] ?? 0) + 0.0722 * channel(rgb[2] ?? 0);
}

function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

interface BadgeRule {
  selector: string;
  background: string;
  color: string;
}

const badgeRules: BadgeRule[] = [...css.matchAll(/([^{}]+)\{([^{}]*)\}/g)]
  .map((match) => {
    const selector = (match[1] ?? "").trim();
    const body = match[2] ?? "";
    const background = /background:\s*var\((--[\w-]+)\)/.exec(body)?.[1];
    const color = /(?:^|;)\s*color:\s*var\((--[\w-]+)\)/.exec(body)?.[1];
    return background && color && /\.(badge|status-|count-badge)/.test(selector) ? { selector, background, color } : null;
  })
  .filter((rule): rule is BadgeRule => rule !== null);

describe("status badge contrast", () => {
  it("finds the badges (so the check below checks something)", () => {
    expect(badgeRules.map((rule) => rule.selector)).toEqual(expect.arrayContaining([".badge.active, .badge.key-active", ".status-healthy", ".badge.status-ok"]));
  });

  for (const [theme, variables] of Object.entries(themes)) {
    it(`every badge reaches 4.5:1 in the ${theme} theme`, () => {
      const failing = badgeRules
        .map((rule) => {
          const background = variables.get(rule.background) ?? "";
          const color = variables.get(rule.color) ?? "";
          return { selector: rule.selector, ratio: Math.round(contrastRatio(color, background) * 100) / 100 };
        })
        .filter((result) => result.ratio < 4.5);
      expect(failing).toEqual([]);
    });
  }

  it("measures like WCAG: black on white is 21:1, the old green badge 3.83:1", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#1f8a4c", "#e3f4ea")).toBeCloseTo(3.83, 2);
  });
});
