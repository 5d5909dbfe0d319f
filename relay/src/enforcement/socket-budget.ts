// How many sockets a server may hold, from the process's open-file limit: every socket is a file
// descriptor, and a process out of them cannot accept anyone (each new connection is closed at once or
// waits in the kernel's backlog). A quarter of the limit goes to connections whose request is not yet
// complete (pending-requests.ts), half to upgraded WebSockets, and the last quarter stays free for
// everything else (log and data files, the control plane and Redis, refused sockets on their way out).
import { readFileSync } from "node:fs";

/**
 * Used where the limit cannot be read (no /proc): macOS's OPEN_MAX, the most Node raises its soft limit
 * to there (Node raises the soft limit to the hard one at startup).
 */
export const FALLBACK_OPEN_FILE_LIMIT = 10_240;
const PENDING_SHARE = 0.25;
const CONNECTIONS_SHARE = 0.5;
/** Pending and upgraded connections together may use at most this share of the limit. */
export const MAX_SOCKET_SHARE = 0.9;

/** The soft "Max open files" of this process (Linux), or null when it cannot be read or is unlimited. */
export function readOpenFileLimit(limitsFile = "/proc/self/limits"): number | null {
  let limits: string;
  try {
    limits = readFileSync(limitsFile, "utf8");
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  const soft = match?.[1];
  return soft === undefined || soft === "unlimited" ? null : Number(soft);
}

export interface SocketBudget {
  /** The open-file limit the budget was computed from. */
  openFileLimit: number;
  /** Node-wide connections whose request (or upgrade) is not yet complete. */
  maxPendingConnections: number;
  /** Node-wide upgraded WebSocket connections. */
  maxConnections: number;
}

export function socketBudget(openFileLimit: number = readOpenFileLimit() ?? FALLBACK_OPEN_FILE_LIMIT): SocketBudget {
  return {
    openFileLimit,
    maxPendingConnections: Math.max(1, Math.floor(openFileLimit * PENDING_SHARE)),
    maxConnections: Math.max(1, Math.floor(openFileLimit * CONNECTIONS_SHARE)),
  };
}
