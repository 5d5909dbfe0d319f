// `GET /v1/channels/:channel/history` on the relay: a page of the channel's newest messages before an
// offset, oldest first, as JSON text (each message's data and metadata spliced in as kept).
import { historyEnabled } from "./protocol";
import type { ChannelHistoryQuery, SnapshotApp } from "./protocol";
import type { HistoryEntry, HistoryStore } from "./state/types";

function messageJson(entry: HistoryEntry): string {
  const metadata = entry.fromMetadataJson === undefined ? "" : `,"fromMetadata":${entry.fromMetadataJson}`;
  return `{"offset":${entry.offset},"from":${JSON.stringify(entry.fromPeerId)},"data":${entry.dataJson}${metadata},"publishedAt":${entry.publishedAtMs}}`;
}

/** The page as a ChannelHistoryResponse; an app without history has none (epoch null, no messages). */
export async function channelHistoryJson(history: HistoryStore, app: SnapshotApp, channel: string, query: ChannelHistoryQuery): Promise<string> {
  const empty = `{"channel":${JSON.stringify(channel)},"epoch":null,"messages":[],"nextBefore":null}`;
  if (!historyEnabled(app.limits)) return empty;
  const limit = Math.min(query.limit, app.limits.historySize);
  // One more than the page: whether an older message exists decides `nextBefore`.
  const read = await history.latest(app.appId, channel, limit + 1, query.before ?? null, app.limits);
  if (read.epoch === null) return empty;
  const older = read.entries.length > limit;
  const page = older ? read.entries.slice(1) : read.entries;
  const nextBefore = older ? (page[0]?.offset ?? null) : null;
  return `{"channel":${JSON.stringify(channel)},"epoch":${JSON.stringify(read.epoch)},"messages":[${page.map(messageJson).join(",")}],"nextBefore":${JSON.stringify(nextBefore)}}`;
}
