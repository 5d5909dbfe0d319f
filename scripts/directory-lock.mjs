// One launcher at a time for work that writes shared files (the Prisma client, the web app build):
// parallel test files start several launchers in one checkout. mkdir is atomic, so the directory is the
// lock; one older than `staleAfterMs` is left over from a killed launcher and is taken over.
import { mkdirSync, rmSync, statSync } from "node:fs";

export async function withDirectoryLock(lockDir, work, { staleAfterMs = 600_000, pollMs = 1_000 } = {}) {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const age = Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > staleAfterMs) rmSync(lockDir, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
