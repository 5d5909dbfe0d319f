// The log of recent /v1 requests per app (the dashboard's "Recent API requests"): method, path, status,
// key and duration of every authenticated request. Writing never holds up the request: entries wait in
// a small per-process buffer and reach the database in one insert a few times a second, so every web
// replica's requests land in the one table. Entries are kept a day and at most the newest
// REQUEST_LOG_MAX_PER_APP per app; the prune-request-log job removes the rest.
import type { Db } from "@/lib/db";
import { onShutdown } from "@/lib/shutdown-hooks";

export const REQUEST_LOG_KEPT_MS = 24 * 60 * 60 * 1000;
export const REQUEST_LOG_MAX_PER_APP = 500;
/** Requests the dashboard lists (newest first). */
export const REQUEST_LOG_SHOWN = 100;
const MAX_PATH_CHARS = 512;

export interface ApiRequestEntry {
  appId: string;
  keyId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  at: Date;
}

export interface RequestLogWriter {
  /** Queues the entry; a full buffer (the database far behind) drops it rather than grow. */
  record(entry: ApiRequestEntry): void;
  /** Writes what is queued now. */
  flush(): Promise<void>;
}

export function createRequestLogWriter(options: { db: () => Db; flushMs?: number; maxBuffered?: number; onError?: (error: unknown) => void }): RequestLogWriter {
  const flushMs = options.flushMs ?? 250;
  const maxBuffered = options.maxBuffered ?? 5_000;
  let buffer: ApiRequestEntry[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  async function write(entries: ApiRequestEntry[]): Promise<void> {
    try {
      await options.db().apiRequestLog.createMany({ data: entries });
    } catch (error) {
      // A deleted app's entries fail their foreign key: nobody can read them anyway.
      options.onError?.(error);
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const entries = buffer;
    buffer = [];
    if (entries.length > 0) writing = writing.then(() => write(entries));
    return writing;
  }

  return {
    record(entry) {
      if (buffer.length >= maxBuffered) return;
      buffer.push({ ...entry, path: entry.path.slice(0, MAX_PATH_CHARS), durationMs: Math.max(0, Math.round(entry.durationMs)) });
      timer ??= setTimeout(() => void flush(), flushMs);
      timer.unref?.();
    },
    flush,
  };
}

const globalForLog = globalThis as unknown as { tollgateRequestLog?: RequestLogWriter };

/** The process's writer (on the app's database); what is queued is written before the process exits. */
export function getRequestLogWriter(db: () => Db): RequestLogWriter {
  if (!globalForLog.tollgateRequestLog) {
    const writer = createRequestLogWriter({ db, onError: (error) => console.error("request log write failed", error instanceof Error ? error.message : error) });
    globalForLog.tollgateRequestLog = writer;
    onShutdown(() => writer.flush());
  }
  return globalForLog.tollgateRequestLog;
}

export interface ApiRequestView {
  method: string;
  path: string;
  status: number;
  keyId: string;
  durationMs: number;
  at: string;
}

/** The app's newest requests of the kept window, newest first. */
export async function listRecentRequests(db: Db, input: { appId: string; now?: Date }): Promise<{ requests: ApiRequestView[]; keptHours: number; shown: number }> {
  const since = new Date((input.now ?? new Date()).getTime() - REQUEST_LOG_KEPT_MS);
  const rows = await db.apiRequestLog.findMany({
    where: { appId: input.appId, at: { gte: since } },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: REQUEST_LOG_SHOWN,
    select: { method: true, path: true, status: true, keyId: true, durationMs: true, at: true },
  });
  return { requests: rows.map((row) => ({ ...row, at: row.at.toISOString() })), keptHours: REQUEST_LOG_KEPT_MS / 3_600_000, shown: REQUEST_LOG_SHOWN };
}

/** Removes entries older than the kept window and, per app, all but the newest REQUEST_LOG_MAX_PER_APP. */
export async function pruneRequestLog(db: Db, now: Date = new Date()): Promise<{ expired: number; overCap: number }> {
  const expired = await db.apiRequestLog.deleteMany({ where: { at: { lt: new Date(now.getTime() - REQUEST_LOG_KEPT_MS) } } });
  const overCap = await db.$executeRaw`
    DELETE FROM "ApiRequestLog" WHERE id IN (
      SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY "appId" ORDER BY at DESC, id DESC) AS newest
        FROM "ApiRequestLog"
      ) ranked WHERE newest > ${REQUEST_LOG_MAX_PER_APP}
    )`;
  return { expired: expired.count, overCap };
}
