// Channel history and recovery (PROTOCOL.md §2 "history"): the bounds of the plan fields `historySize`
// and `historyTtlSeconds`, the `since` / `rewind` fields of a subscribe, and the server API that reads a
// channel's history. History is on for an app when both plan fields are above 0.
import { z } from "zod";

export const HistoryLimits = {
  /** The largest `historySize` a plan may set: messages kept per channel, the largest `rewind` and REST page. */
  maxSize: 1_000,
  /** The largest `historyTtlSeconds` a plan may set (30 days). */
  maxTtlSeconds: 30 * 86_400,
  /** `GET /v1/channels/:channel/history`: messages per page when `limit` is not given. */
  restDefaultLimit: 100,
  /**
   * What one connection may be replayed: a burst of two whole histories, then 100 messages a second. A
   * replay is deliveries on the app's bill, and a subscribe costs one control frame: without this, a
   * stranger with the publishable key could turn 50 subscribes a second into 50,000 billed deliveries.
   */
  replayBurstMessages: 2_000,
  replayMessagesPerSecond: 100,
  /** A replay reads the stream this many messages at a time, sending each part as the reader drains its socket. */
  replayReadMessages: 50,
  /** `GET /v1/channels/:channel/history`: a page ends before its messages pass this many bytes of JSON (then `nextBefore` goes on). */
  restPageBytes: 1024 * 1024,
  /** An epoch is a short opaque string; a longer one in `since` is refused. */
  maxEpochChars: 64,
} as const;

/** What the plan keeps of each channel; history is off unless both are above 0. */
export interface HistoryRetention {
  historySize: number;
  historyTtlSeconds: number;
}

export function historyEnabled(limits: HistoryRetention): boolean {
  return limits.historySize > 0 && limits.historyTtlSeconds > 0;
}

/** A place in a channel's stream: the offset of a message and the epoch of the stream it belongs to. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

export const streamPositionSchema = z
  .object({
    offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    epoch: z.string().min(1).max(HistoryLimits.maxEpochChars),
  })
  .strict();

/** `GET /v1/channels/:channel/history?limit=&before=`: the newest `limit` messages before offset `before`. */
export const channelHistoryQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(HistoryLimits.maxSize).default(HistoryLimits.restDefaultLimit),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  });
export type ChannelHistoryQuery = z.infer<typeof channelHistoryQuerySchema>;

export function channelHistoryQueryString(query: ChannelHistoryQuery): string {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.before !== undefined) params.set("before", String(query.before));
  return params.toString();
}

export const historyMessageSchema = z.object({
  offset: z.number().int().positive(),
  from: z.string(),
  data: z.unknown(),
  fromMetadata: z.record(z.string(), z.unknown()).optional(),
  /** When the relay stored it (Unix ms). */
  publishedAt: z.number().int(),
});

export const channelHistoryResponseSchema = z.object({
  channel: z.string(),
  /** The stream's epoch; null when the channel has no history (never published, expired, or history off). */
  epoch: z.string().nullable(),
  /** Oldest first. */
  messages: z.array(historyMessageSchema),
  /** Pass as `before` for the page of older messages; null when there are none. */
  nextBefore: z.number().int().positive().nullable(),
});
export type ChannelHistoryResponse = z.infer<typeof channelHistoryResponseSchema>;
