// A relay in a child process of its own, so a test can weigh the relay's memory apart from its clients'.
// Run it with `--expose-gc`: the parent sends the RelayConfig over IPC, then asks for a measurement,
// which this process takes after forcing full garbage collections.
import type { RelayConfig } from "../src/config";
import { compileGlob } from "../src/glob";
import { silentLogger } from "../src/log";
import { startRelay } from "../src/server";
import type { RelayHandle } from "../src/server";

export type ParentMessage = { type: "start"; config: RelayConfig } | { type: "measure" } | { type: "stop" };
export type ChildMessage =
  | { type: "started"; url: string }
  | { type: "measured"; heapUsedBytes: number; externalBytes: number; rssBytes: number; connections: number };

const collectGarbage = globalThis.gc;
if (!collectGarbage) throw new Error("run with --expose-gc");

function reply(message: ChildMessage): void {
  process.send?.(message);
}

/** As many patterns as the relay's compiled-pattern cache holds before it starts over (glob.ts). */
const COMPILED_PATTERN_CACHE_ENTRIES = 10_000;
let flushes = 0;

/**
 * Fills the relay-wide cache of compiled patterns with one-character ones, so the up to 10,000 long
 * patterns of earlier tokens it may hold (a few MB, bounded, shared by every connection) weigh the
 * same in every measurement instead of counting as some connections' memory.
 */
function flushCompiledPatterns(): void {
  flushes += 1;
  for (let i = 0; i < COMPILED_PATTERN_CACHE_ENTRIES; i++) compileGlob(`${flushes}/${i}`);
}

function measure(relay: RelayHandle): ChildMessage {
  flushCompiledPatterns();
  // Several passes: a full GC can leave garbage that only the next one finds (weak references, finalizers).
  for (let pass = 0; pass < 4; pass++) collectGarbage?.();
  const usage = process.memoryUsage();
  return { type: "measured", heapUsedBytes: usage.heapUsed, externalBytes: usage.external, rssBytes: usage.rss, connections: relay.connectionCount() };
}

let relay: RelayHandle | null = null;
process.on("message", (message: ParentMessage) => {
  if (message.type === "start") {
    void startRelay(message.config, { logger: silentLogger }).then((started) => {
      relay = started;
      reply({ type: "started", url: started.url });
    });
  } else if (message.type === "measure" && relay) {
    reply(measure(relay));
  } else if (message.type === "stop") {
    void (relay?.close() ?? Promise.resolve()).then(() => process.exit(0));
  }
});
// The parent going away ends this process too.
process.on("disconnect", () => process.exit(0));
