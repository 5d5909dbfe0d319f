// The lint rules that keep inputs bounded (eslint.config.mjs, eslint-rules/bounded-schema.mjs), run with
// the project's own configuration on sources placed where a schema or a route would live: a string or
// array schema without a maximum, or a body read past the cap, fails `npm run lint` and so CI.
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const eslint = new ESLint({ cwd: root });

async function problems(source: string, file = "lib/example/example.types.ts"): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((message) => `${message.line}: ${message.ruleId}`);
}

const header = 'import { z } from "zod";\nimport { text } from "@/lib/validation/text";\n';

describe("request schemas are bounded", () => {
  it("refuses a string without a maximum, also when it is kept in a variable and bounded only later", async () => {
    expect(await problems(`${header}export const a = z.object({ name: text().trim().min(1) });\n`)).toEqual(["3: tollgate/bounded-schema"]);
    expect(await problems(`${header}const origin = text().trim();\nexport const b = z.object({ origin: origin.max(9) });\n`)).toEqual(["3: tollgate/bounded-schema"]);
    expect(await problems(`${header}export const c = z.record(text(), z.unknown());\n`)).toEqual(["3: tollgate/bounded-schema"]);
  });

  it("refuses an array without a maximum, even of bounded strings", async () => {
    expect(await problems(`${header}export const d = z.object({ tags: z.array(text().max(20)).min(1).optional() });\n`)).toEqual(["3: tollgate/bounded-schema"]);
  });

  it("accepts strings and arrays bounded anywhere along their chain", async () => {
    const source = `${header}export const e = z.object({
  name: text().trim().min(1).max(100).optional(),
  code: text().length(6),
  tags: z.array(text().max(20)).min(1).max(10).optional(),
});\n`;
    expect(await problems(source)).toEqual([]);
  });

  it("applies to route files too", async () => {
    const source = `${header}export const querySchema = z.object({ q: text().optional() });\n`;
    expect(await problems(source, "app/api/example/route.ts")).toEqual(["3: tollgate/bounded-schema"]);
  });
});

describe("request bodies are read under the cap", () => {
  it("refuses req.json(), req.text() and the raw stream in a route", async () => {
    const source = `import type { NextRequest } from "next/server";
export async function POST(req: NextRequest) {
  const a = await req.json();
  const b = await req.text();
  const c = req.body;
  return Response.json({ a, b, c });
}\n`;
    expect(await problems(source, "app/api/example/route.ts")).toEqual(["3: no-restricted-properties", "4: no-restricted-properties", "5: no-restricted-properties"]);
  });
});
