// `GET /v1/channels/:channel/history` on the relay: a page of the channel's newest messages before an
// offset, oldest first, as JSON text (each message's data and metadata spliced in as kept).
import { HistoryLimits, historyEnabled } from "./protocol";
import type { ChannelHistoryQuery, SnapshotApp } from "./protocol";
import type { HistoryEntry, HistoryStore } from "./state/types";

function messageJson(entry: HistoryEntry): string {
  const metadata = entry.fromMetadataJson === undefined ? "" : `,"fromMetadata":${entry.fromMetadataJson}`;
  return `{"offset":${entry.offset},"from":${JSON.stringify(entry.fromPeerId)},"data":${entry.dataJson}${metadata},"publishedAt":${entry.publishedAtMs}}`;
}

/**
 * The page as a ChannelHistoryResponse; an app without history has none (epoch null, no messages). The
 * stream is read backwards a part at a time, and the page ends at `limit` messages or before its messages
 * pass `HistoryLimits.restPageBytes`, whichever comes first: a thousand messages of 64 KB are pages of
 * about 1 MiB, never one 64 MB answer held in the relay and the web app.
 */
export async function channelHistoryJson(history: HistoryStore, app: SnapshotApp, channel: string, query: ChannelHistoryQuery): Promise<string> {
  const empty = `{"channel":${JSON.stringify(channel)},"epoch":null,"messages":[],"nextBefore":null}`;
  if (!historyEnabled(app.limits)) return empty;
  const limit = Math.min(query.limit, app.limits.historySize);
  const page: string[] = [];
  let epoch: string | null = null;
  let before = query.before ?? null;
  let bytes = 0;
  let older = false;
  let full = false;
  while (!full && page.length < limit) {
    const wanted = Math.min(HistoryLimits.replayReadMessages, limit - page.length);
    // One more than wanted: whether an older message exists decides `nextBefore`.
    const read = await history.latest(app.appId, channel, wanted + 1, before, app.limits);
    // The stream was lost between two reads: the page so far is the old stream's whole answer.
    if (read.epoch === null || (epoch !== null && read.epoch !== epoch)) break;
    epoch = read.epoch;
    older = read.entries.length > wanted;
    for (const entry of read.entries.slice(older ? 1 : 0).reverse()) {
      const json = messageJson(entry);
      if (page.length > 0 && bytes + json.length > HistoryLimits.restPageBytes) {
        full = true;
        break;
      }
      page.push(json);
      bytes += json.length;
      before = entry.offset;
    }
    if (!older) break;
  }
  if (epoch === null) return empty;
  const nextBefore = full || older ? before : null;
  return `{"channel":${JSON.stringify(channel)},"epoch":${JSON.stringify(epoch)},"messages":[${page.reverse().join(",")}],"nextBefore":${JSON.stringify(nextBefore)}}`;
}
