// Work that sends a connection more than its send buffer holds (a roster of thousands of peers, a history
// replay) goes out as the client reads it: a part at a time, each once the socket's queue has drained.
// A client that reads slowly slows its own stream instead of being closed as a slow consumer, and one
// that never reads costs a timer that backs off.
import type { Connection } from "./connection";

/** The next part waits until the connection has less than this queued for its socket. */
export const SEND_BUFFER_DRAINED_BYTES = 64 * 1024;
/** How often a connection that has not drained is looked at again: backing off, so a client that never reads costs little. */
export const DRAIN_CHECK_FIRST_MS = 5;
export const DRAIN_CHECK_MAX_MS = 500;

/** Whether the connection has room for the next part now. */
export function sendBufferDrained(connection: Connection): boolean {
  return connection.ws.bufferedAmount < SEND_BUFFER_DRAINED_BYTES;
}

/**
 * Resolves true once the connection's send buffer has drained, or false as soon as `stillWanted` says the
 * part is no longer wanted (the connection closed, the subscription went).
 */
export async function sendBufferDrainedFor(connection: Connection, stillWanted: () => boolean): Promise<boolean> {
  let waitMs = DRAIN_CHECK_FIRST_MS;
  for (;;) {
    if (!stillWanted()) return false;
    if (sendBufferDrained(connection)) return true;
    await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    waitMs = Math.min(waitMs * 2, DRAIN_CHECK_MAX_MS);
  }
}
