// The sealed copy on disk of the apps a relay holds and its change feed cursor (plan-cache.ts): read at
// start so a restart during a control-plane outage still enforces what it held, written at most once per
// PERSIST_INTERVAL_MS while things change, and at shutdown. It holds signing secrets, hence sealed.
import path from "node:path";
import { z } from "zod";
import type { Logger } from "./log";
import { snapshotAppSchema } from "./protocol";
import { readSealedFile, writeSealedFile } from "./sealed-file";

const PURPOSE = "relay app states";
const FILE_NAME = "app-states.json";
/**
 * Changes to what is held are written to disk at most this often (and at shutdown): each write
 * serializes every held app, so a burst of first connects costs one write, not one each.
 */
const PERSIST_INTERVAL_MS = 1_000;

const heldAppsSchema = z.object({
  cursor: z.string().nullable(),
  apps: z.array(z.object({ app: snapshotAppSchema, generatedAtMs: z.number().int() })),
});
export type StoredHeldApps = z.infer<typeof heldAppsSchema>;

export class HeldAppsCopy {
  private readonly filePath: string;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly options: { dataDir: string; relaySecret: string; logger: Logger },
    /** What to write: read when the write happens, so one write carries every change before it. */
    private readonly current: () => StoredHeldApps,
  ) {
    this.filePath = path.join(options.dataDir, FILE_NAME);
  }

  /** The copy on disk, or null when there is none this relay can use (missing, another RELAY_SECRET, unreadable). */
  async read(): Promise<StoredHeldApps | null> {
    const sealed = await readSealedFile(this.filePath, this.options.relaySecret, PURPOSE);
    if (sealed.status === "missing") return null;
    if (sealed.status === "unreadable") {
      this.options.logger.warn("ignoring app state copy on disk: not sealed with this RELAY_SECRET", { file: this.filePath });
      return null;
    }
    try {
      const parsed = heldAppsSchema.safeParse(JSON.parse(sealed.plaintext));
      if (parsed.success) return parsed.data;
      this.options.logger.warn("ignoring unreadable app state copy on disk", { file: this.filePath });
    } catch {
      this.options.logger.warn("ignoring unparsable app state copy on disk", { file: this.filePath });
    }
    return null;
  }

  /** Writes within PERSIST_INTERVAL_MS (one write for the changes until then). */
  schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.write().finally(() => {
        this.writing = null;
      });
    }, PERSIST_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops scheduling and writes once more (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
    await this.write();
  }

  private async write(): Promise<void> {
    try {
      await writeSealedFile(this.filePath, JSON.stringify(this.current()), this.options.relaySecret, PURPOSE);
    } catch (error) {
      this.options.logger.error("could not persist app state copy", { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
