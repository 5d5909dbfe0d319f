// The project documents itself: every environment variable the code reads (scripts/, lib/, relay/src;
// tests excluded) has a row in the README's configuration tables, and no file points outside the
// repository for its documentation (docs/ holds the protocol, architecture and operations).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { ErrorCode } from "@tollgate/relay/protocol";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const SOURCE_DIRS = ["scripts", "lib", "relay/src"];
/** The operating system's own variables, which the code passes on or restores but nobody configures for Tollgate. */
const SYSTEM_VARIABLES = new Set(["TMPDIR", "PATH", "HOME"]);

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "generated") files.push(...sourceFiles(relative));
    } else if (/\.(ts|mjs|js)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && entry.name !== "contract.ts") {
      files.push(relative);
    }
  }
  return files;
}

/**
 * Variables read as `process.env.NAME` / `process.env["NAME"]`, and the keys of the zod schemas that
 * validate the environment (`const somethingEnvSchema = z.object({ NAME: … })`).
 */
function variablesRead(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\])/g)) {
    names.add(match[1] ?? match[2] ?? "");
  }
  for (const schema of source.matchAll(/const \w*[eE]nvSchema\s*=\s*z\s*\.object\(\{([\s\S]*?)\n\s*\}\)/g)) {
    for (const key of (schema[1] ?? "").matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)) names.add(key[1] ?? "");
  }
  names.delete("");
  return [...names];
}

/** Names in the first column of the README's tables, including `A` / `B` rows. */
function documentedVariables(readme: string): Set<string> {
  const names = new Set<string>();
  for (const line of readme.split("\n")) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const name of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(name[1] ?? "");
  }
  return names;
}

describe("README configuration table", () => {
  it("finds variables in both forms the code uses", () => {
    const sample = 'const a = process.env.ONE; const b = process.env["TWO"];\nconst serverEnvSchema = z.object({\n  THREE: z.string(),\n  lower: z.string(),\n});';
    expect(variablesRead(sample).sort()).toEqual(["ONE", "THREE", "TWO"]);
  });

  it("documents every environment variable the code reads", () => {
    const documented = documentedVariables(readFileSync(path.join(root, "README.md"), "utf8"));
    const undocumented: string[] = [];
    let found = 0;
    for (const file of SOURCE_DIRS.flatMap(sourceFiles)) {
      for (const name of variablesRead(readFileSync(path.join(root, file), "utf8"))) {
        found += 1;
        if (!documented.has(name) && !SYSTEM_VARIABLES.has(name)) undocumented.push(`${name} (${file})`);
      }
    }
    expect(found).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });
});

describe("documentation", () => {
  it("lives in the repository: no file refers to a specification outside it", () => {
    const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .filter((file) => file.length > 0 && file !== "tests/docs.test.ts" && !/\.(png|jpg|ico|woff2?)$/.test(file));
    const outside = /\.\.\/shared\/|\/work\/shared/;
    const offenders = tracked.filter((file) => {
      try {
        return outside.test(readFileSync(path.join(root, file), "utf8"));
      } catch {
        return false;
      }
    });
    expect(tracked.length).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });

  it("has the protocol, architecture and operations pages the README links to", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    for (const page of ["docs/PROTOCOL.md", "docs/ARCHITECTURE.md", "docs/operations.md"]) {
      expect(readme).toContain(`(${page})`);
      expect(readFileSync(path.join(root, page), "utf8").length).toBeGreaterThan(1_000);
    }
  });

  it("docs/PROTOCOL.md lists every error code the relay sends", () => {
    const protocol = readFileSync(path.join(root, "docs/PROTOCOL.md"), "utf8");
    const rows = new Set([...protocol.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]));
    expect(Object.values(ErrorCode).filter((code) => !rows.has(code))).toEqual([]);
  });
});
