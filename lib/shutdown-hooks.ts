// Work the web process must finish before it exits (the job queue runner releasing its jobs). Kept on
// globalThis: the HTTP server (server/web-server.ts) and the app Next bundles (instrumentation.ts) load
// separate copies of this module in one process.
type ShutdownHook = () => Promise<void>;

const globalForShutdown = globalThis as unknown as { tollgateShutdownHooks?: ShutdownHook[] };

export function onShutdown(hook: ShutdownHook): void {
  (globalForShutdown.tollgateShutdownHooks ??= []).push(hook);
}

/** Runs every hook at once and waits for them, at most `timeoutMs`. */
export async function runShutdownHooks(timeoutMs: number): Promise<void> {
  const hooks = globalForShutdown.tollgateShutdownHooks ?? [];
  await Promise.race([
    Promise.allSettled(hooks.map((hook) => hook())),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ]);
}
