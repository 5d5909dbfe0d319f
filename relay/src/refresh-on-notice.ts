// Plan-change notices → plan cache refreshes. A refresh already in flight may have fetched the snapshot
// before the change it is told about, so a notice that arrives during one queues exactly one more
// refresh after it (any further notices fold into that one) instead of joining it.
export function refreshOnNotice(refresh: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        await refresh().catch(() => undefined);
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) {
      again = true;
      return;
    }
    void run();
  };
}
