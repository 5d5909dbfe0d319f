import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOpenFileLimit, socketBudget } from "./socket-budget";

const dirs: string[] = [];

async function limitsFile(maxOpenFiles: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "socket-budget-"));
  dirs.push(dir);
  const file = path.join(dir, "limits");
  await writeFile(
    file,
    [
      "Limit                     Soft Limit           Hard Limit           Units     ",
      "Max processes             95000                95000                processes ",
      `Max open files            ${maxOpenFiles}                files     `,
      "Max locked memory         8388608              8388608              bytes     ",
    ].join("\n"),
  );
  return file;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("socket budget", () => {
  it("reads the soft open-file limit", async () => {
    expect(readOpenFileLimit(await limitsFile("20000                1048576             "))).toBe(20_000);
  });

  it("knows no limit when it is unlimited or cannot be read", async () => {
    expect(readOpenFileLimit(await limitsFile("unlimited            unlimited           "))).toBeNull();
    expect(readOpenFileLimit(path.join(os.tmpdir(), "no-such-limits-file"))).toBeNull();
  });

  it("gives a quarter of the limit to pending connections and half to upgraded ones", () => {
    expect(socketBudget(20_000)).toEqual({ openFileLimit: 20_000, maxPendingConnections: 5_000, maxConnections: 10_000 });
  });
});
