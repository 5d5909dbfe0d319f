// The embedded PostgreSQL's process (scripts/embedded-postgres.mjs) across what happens to a local
// install: a clean stop and a re-start on the existing cluster, a crash that leaves postmaster.pid
// behind (also one naming a PID that now belongs to another process), and a launcher killed outright.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedDatabaseUrl, spawnEmbeddedPostgres } from "../scripts/embedded-postgres.mjs";
import { freePort } from "./helpers/test-database";

const dirs: string[] = [];
const password = randomBytes(18).toString("base64url");

function newParent(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tollgate-embedded-test-"));
  dirs.push(dir);
  return dir;
}

async function start(clusterDir: string, port: number) {
  const lines: string[] = [];
  const server = spawnEmbeddedPostgres({ clusterDir, port, password, onLine: (line) => lines.push(line) });
  const timings = await server.ready.catch((error: unknown) => {
    throw new Error(`${String(error)}\n${lines.join("\n")}`);
  });
  return { server, timings, lines };
}

async function query<T extends pg.QueryResultRow>(port: number, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: embeddedDatabaseUrl({ port, password }) });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the embedded PostgreSQL process", () => {
  it("stops cleanly on SIGTERM and re-starts on the existing cluster with its data, without recovery", async () => {
    const clusterDir = path.join(newParent(), "postgres");
    const port = await freePort();
    const first = await start(clusterDir, port);
    expect(first.timings.initialiseMs).not.toBeNull();
    await query(port, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')");
    first.server.child.kill("SIGTERM");
    expect(await first.server.exited).toEqual({ code: 0, signal: null });

    const second = await start(clusterDir, port);
    console.log(`embedded PostgreSQL: initialise ${first.timings.initialiseMs} ms, start ${first.timings.startMs} ms, re-start ${second.timings.startMs} ms`);
    expect(second.timings.initialiseMs).toBeNull();
    expect(await query<{ value: string }>(port, "SELECT value FROM kept")).toEqual([{ value: "still here" }]);
    expect(second.lines.join("\n")).not.toMatch(/not properly shut down/);
    await second.server.stop();
  }, 120_000);

  it("starts after a crash left postmaster.pid behind, also when its PID now belongs to an unrelated process", async () => {
    const clusterDir = path.join(newParent(), "postgres");
    const port = await freePort();
    const first = await start(clusterDir, port);
    // A power cut: the database process and PostgreSQL die at once, nothing cleans up.
    process.kill(-(first.server.child.pid ?? 0), "SIGKILL");
    await first.server.exited;
    const second = await start(clusterDir, port);
    expect(second.lines.join("\n")).toMatch(/stale postmaster\.pid/);
    expect(await query<{ one: number }>(port, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    await second.server.stop();

    // After a reboot the recorded PID may be any live process; PostgreSQL alone would refuse to start.
    const unrelated = spawn("sleep", ["60"]);
    writeFileSync(path.join(clusterDir, "postmaster.pid"), `${unrelated.pid}\n${clusterDir}\n0\n${port}\n`);
    const third = await start(clusterDir, port);
    expect(alive(unrelated.pid ?? 0)).toBe(true);
    expect(await query<{ one: number }>(port, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    await third.server.stop();
    unrelated.kill();
  }, 120_000);

  it("stops PostgreSQL when the process that started it dies without stopping it", async () => {
    const clusterDir = path.join(newParent(), "postgres");
    const port = await freePort();
    // A stand-in launcher that starts the database and is then killed with SIGKILL.
    const launcher = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { spawnEmbeddedPostgres } from ${JSON.stringify(path.resolve("scripts/embedded-postgres.mjs"))};
         const db = spawnEmbeddedPostgres({ clusterDir: process.env.DIR, port: Number(process.env.PORT), password: process.env.PW });
         await db.ready; console.log("ready " + db.child.pid); setInterval(() => {}, 1000);`,
      ],
      { env: { ...process.env, DIR: clusterDir, PORT: String(port), PW: password }, stdio: ["ignore", "pipe", "inherit"] },
    );
    const databasePid = await new Promise<number>((resolve, reject) => {
      launcher.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        const match = /ready (\d+)/.exec(chunk);
        if (match) resolve(Number(match[1]));
      });
      launcher.once("exit", (code) => reject(new Error(`stand-in launcher exited with ${code}`)));
    });
    expect(await query<{ one: number }>(port, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    launcher.kill("SIGKILL");
    const deadline = Date.now() + 30_000;
    while (alive(databasePid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(databasePid)).toBe(false);
    await expect(query(port, "SELECT 1")).rejects.toThrow();
  }, 120_000);
});
