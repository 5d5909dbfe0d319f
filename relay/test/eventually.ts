// Waits until `check` passes or `timeoutMs` is over (then throws its last failure): state shared across
// nodes, processes and timers arrives asynchronously. No vitest import: the benchmarks use it too.
export async function eventuallyWithin(check: () => void | Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
