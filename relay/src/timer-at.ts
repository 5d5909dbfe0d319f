// A timer for a moment on the clock (a billing period's end, a key's expiry), which may lie weeks ahead.
/** setTimeout's longest delay (about 24.8 days); a later moment is reached by scheduling again when it fires. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs `run` at `atMs` (Date.now() time), or after MAX_TIMER_DELAY_MS when that is sooner: callers
 * schedule again from `run`. Unref'd: it never keeps the process alive.
 */
export function unrefTimerAt(atMs: number, run: () => void): NodeJS.Timeout {
  const timer = setTimeout(run, Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_DELAY_MS));
  timer.unref();
  return timer;
}
