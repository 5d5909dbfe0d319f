// `npm run start:worker` processes against a test database, with what a worker needs: the database, the
// secrets (it validates the environment a web replica does) and any extra settings. stopAll() ends them.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { TEST_ENCRYPTION_KEY } from "./fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");

export function workerProcesses() {
  const workers: ChildProcess[] = [];
  return {
    start(databaseUrl: string, env: Record<string, string> = {}): ChildProcess {
      const worker = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/start-worker.ts"], {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
          RELAY_SECRET: randomBytes(32).toString("base64url"),
          KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      worker.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`[worker] ${chunk.toString()}`));
      workers.push(worker);
      return worker;
    },
    async stopAll(): Promise<void> {
      for (const worker of workers) worker.kill("SIGTERM");
      await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.exitCode !== null ? resolve(null) : worker.once("exit", resolve)))));
    },
  };
}
