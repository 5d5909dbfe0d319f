// Channel history on the wire (PROTOCOL.md "Channel history"): a publish on a channel of an app with
// history on is kept in the channel's stream before it fans out, so every `message` frame carries its
// `offset` and `epoch`; a subscribe with `since` or `rewind` gets the missed (or newest) messages from
// the stream, in order, before its ack, which says whether everything missed was `recovered`. Live
// messages that arrive while the stream is read are held and follow the ack, without the ones the
// replay already carried. Replayed messages are metered as deliveries and egress like live ones; they
// never count against the message quota (they were counted when published).
import type { Connection, Subscription } from "./connection";
import { replayedAlready } from "./hub";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { currentApp } from "./node-context";
import { ServerFrame, ServerFrameType, historyEnabled } from "./protocol";
import type { HistoryRequest, SnapshotApp, StreamPosition } from "./protocol";
import { textFrame } from "./raw-frame";
import type { ChannelMessageEvent, HistoryEntry, HistoryRead } from "./state/types";
import { HistoryUnavailableError } from "./state/types";

/**
 * Keeps a channel message in its channel's history when the app has history on, and gives the event
 * its position. A store that cannot be reached leaves the message without one: it still goes out live.
 */
export async function keepInHistory(context: NodeContext, app: SnapshotApp, event: ChannelMessageEvent): Promise<void> {
  if (!historyEnabled(app.limits)) return;
  const message = event.fromMetadataJson === undefined ? { fromPeerId: event.fromPeerId, dataJson: event.dataJson } : { fromPeerId: event.fromPeerId, dataJson: event.dataJson, fromMetadataJson: event.fromMetadataJson };
  const position = await context.state.history.append(event.appId, event.channel, message, app.limits);
  if (position) event.position = position;
}

interface Replay {
  recovered: boolean;
  /** The messages to send, oldest first (of the stream at `position`). */
  entries: HistoryEntry[];
  /** Where the stream stood when it was read; null without a stream. */
  position: StreamPosition | null;
}

const NOTHING: Replay = { recovered: false, entries: [], position: null };

/** What the request finds in the stream. `since` replays only from the same epoch and recovers only without a gap. */
function replayOf(request: HistoryRequest, read: HistoryRead): Replay {
  const position = read.epoch === null ? null : { offset: read.latestOffset, epoch: read.epoch };
  if (!("since" in request)) return { recovered: true, entries: read.entries, position };
  const { since } = request;
  if (read.epoch !== since.epoch || since.offset > read.latestOffset) return { ...NOTHING, position };
  const first = read.entries[0];
  const last = read.entries.at(-1);
  const recovered = since.offset === read.latestOffset || (first?.offset === since.offset + 1 && last?.offset === read.latestOffset);
  return { recovered, entries: read.entries, position };
}

async function readReplay(context: NodeContext, app: SnapshotApp, channel: string, request: HistoryRequest): Promise<Replay> {
  const limits = app.limits;
  if (!historyEnabled(limits)) return NOTHING;
  try {
    const read =
      "since" in request
        ? await context.state.history.after(app.appId, channel, request.since.offset, limits.historySize, limits)
        : await context.state.history.latest(app.appId, channel, Math.min(request.rewind, limits.historySize), null, limits);
    return replayOf(request, read);
  } catch (error) {
    if (!(error instanceof HistoryUnavailableError)) throw error;
    context.logger.warn("history unavailable for a replay", { appId: app.appId, channel });
    return NOTHING;
  }
}

/** Holds the subscription's live messages until `replayAndAcknowledge` releases them (set before it is indexed). */
export function holdLiveMessages(subscription: Subscription): void {
  subscription.heldMessages ??= [];
}

/** Sends what the subscription held back, except messages its replay already sent. */
export function releaseHeldMessages(context: NodeContext, connection: Connection, subscription: Subscription): void {
  const held = subscription.heldMessages ?? [];
  delete subscription.heldMessages;
  const replayedUpTo = subscription.replayedUpTo;
  let sent = 0;
  let bytes = 0;
  for (const message of held) {
    if (replayedUpTo && replayedAlready(replayedUpTo, message.position)) continue;
    if (connection.write(message.payload, message.framed)) {
      sent += 1;
      bytes += message.payload.length;
    }
  }
  meterDeliveries(context, connection, sent, bytes);
}

function meterDeliveries(context: NodeContext, connection: Connection, sent: number, bytes: number): void {
  if (sent === 0) return;
  RelayCounters.bump(context.counters.framesOut, ServerFrameType.Message, sent);
  const app = context.planCache.app(connection.appId);
  if (app) context.meter.delivered(connection.appId, app.period.startUnix, sent, Math.round(bytes / sent));
}

/**
 * Replays the channel's history the subscribe asked for, acknowledges it with `recovered` and the
 * stream's position, then releases the live messages held meanwhile.
 */
export async function replayAndAcknowledge(context: NodeContext, connection: Connection, subscription: Subscription, request: HistoryRequest, requestId: string | undefined): Promise<void> {
  const app = currentApp(context, connection.appId, connection.identity.app);
  let replay: Replay;
  try {
    replay = await readReplay(context, app, subscription.channel, request);
  } catch (error) {
    releaseHeldMessages(context, connection, subscription);
    throw error;
  }
  const stream = replay.position;
  if (connection.closed || connection.subscriptions.get(subscription.channel) !== subscription) return releaseHeldMessages(context, connection, subscription);
  let sent = 0;
  let bytes = 0;
  if (stream) {
    for (const entry of replay.entries) {
      const metadataJson = subscription.includeSenderMetadata ? (entry.fromMetadataJson ?? null) : null;
      const payload = ServerFrame.message(subscription.channel, entry.fromPeerId, entry.dataJson, metadataJson, { offset: entry.offset, epoch: stream.epoch });
      if (connection.write(payload, textFrame(payload))) {
        sent += 1;
        bytes += payload.length;
      }
    }
  }
  meterDeliveries(context, connection, sent, bytes);
  connection.sendFrame(ServerFrameType.Ack, ServerFrame.historyAck(requestId, replay.recovered, stream));
  const last = replay.entries.at(-1);
  if (last && stream) subscription.replayedUpTo = { offset: last.offset, epoch: stream.epoch };
  releaseHeldMessages(context, connection, subscription);
}
