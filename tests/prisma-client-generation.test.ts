// The launcher regenerates the Prisma client only when the schema changed, and never twice at once:
// parallel test files each start a launcher in one checkout, and two `prisma generate` runs together
// failed with EEXIST on lib/generated/prisma.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generatePrismaClientIfNeeded, prismaClientPaths } from "../scripts/prisma-client.mjs";

const roots: string[] = [];

function checkoutWithSchema(schema: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tollgate-prisma-generate-"));
  roots.push(root);
  mkdirSync(path.join(root, "prisma"));
  writeFileSync(path.join(root, "prisma", "schema.prisma"), schema);
  return root;
}

/** Stands in for `prisma generate`: writes the client after a while, and notes how many ran at once. */
function fakeGenerator(root: string) {
  const state = { runs: 0, running: 0, mostAtOnce: 0 };
  const generate = async () => {
    state.runs += 1;
    state.running += 1;
    state.mostAtOnce = Math.max(state.mostAtOnce, state.running);
    await new Promise((resolve) => setTimeout(resolve, 150));
    mkdirSync(path.dirname(prismaClientPaths(root).client), { recursive: true });
    writeFileSync(prismaClientPaths(root).client, "// generated");
    state.running -= 1;
  };
  return { state, generate };
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("generating the Prisma client", () => {
  it("runs one generation for launchers starting together, and none once the client matches the schema", async () => {
    const root = checkoutWithSchema("model A { id Int @id }");
    const { state, generate } = fakeGenerator(root);
    const ran = await Promise.all(Array.from({ length: 4 }, () => generatePrismaClientIfNeeded(root, generate, { pollMs: 20 })));
    expect(state).toMatchObject({ runs: 1, mostAtOnce: 1 });
    expect(ran.filter(Boolean)).toHaveLength(1);

    expect(await generatePrismaClientIfNeeded(root, generate, { pollMs: 20 })).toBe(false);
    expect(state.runs).toBe(1);
  });

  it("generates again when the schema changed or the generated client was deleted", async () => {
    const root = checkoutWithSchema("model A { id Int @id }");
    const { state, generate } = fakeGenerator(root);
    await generatePrismaClientIfNeeded(root, generate, { pollMs: 20 });

    writeFileSync(path.join(root, "prisma", "schema.prisma"), "model A { id Int @id\n name String }");
    expect(await generatePrismaClientIfNeeded(root, generate, { pollMs: 20 })).toBe(true);
    rmSync(path.join(root, "lib"), { recursive: true });
    expect(await generatePrismaClientIfNeeded(root, generate, { pollMs: 20 })).toBe(true);
    expect(state.runs).toBe(3);
  });

  it("takes over a lock left behind by a killed launcher", async () => {
    const root = checkoutWithSchema("model A { id Int @id }");
    mkdirSync(prismaClientPaths(root).lockDir);
    const { state, generate } = fakeGenerator(root);
    expect(await generatePrismaClientIfNeeded(root, generate, { pollMs: 20, staleAfterMs: 200 })).toBe(true);
    expect(state.runs).toBe(1);
  });

  it("leaves no lock behind when generation fails, so the next launcher tries again", async () => {
    const root = checkoutWithSchema("model A { id Int @id }");
    await expect(generatePrismaClientIfNeeded(root, () => Promise.reject(new Error("schema error")), { pollMs: 20 })).rejects.toThrow("schema error");
    const { state, generate } = fakeGenerator(root);
    expect(await generatePrismaClientIfNeeded(root, generate, { pollMs: 20, staleAfterMs: 60_000 })).toBe(true);
    expect(state.runs).toBe(1);
  });
});
