// The stack's relay process, found by the port in its environment, so a spec can pause it (SIGSTOP) the way
// a relay too busy to answer looks from outside: connections stay open, nothing is answered. Needs Linux /proc.
import { readdirSync, readFileSync } from "node:fs";

export function relayPid(relayUrl: string): number {
  const portVariable = `RELAY_PORT=${new URL(relayUrl).port}`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!command.includes("relay/dist/main.js") && !command.includes("relay/src/main.ts")) continue;
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(portVariable)) return Number(entry);
    } catch {
      // The process ended meanwhile, or is another user's.
    }
  }
  throw new Error(`no relay process with ${portVariable}`);
}

/** Runs `during` with the relay stopped (SIGSTOP), and always resumes it (SIGCONT). */
export async function withRelayPaused<T>(relayUrl: string, during: () => Promise<T>): Promise<T> {
  const pid = relayPid(relayUrl);
  process.kill(pid, "SIGSTOP");
  try {
    return await during();
  } finally {
    process.kill(pid, "SIGCONT");
  }
}
