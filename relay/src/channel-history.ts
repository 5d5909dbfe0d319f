// Channel history on the wire (PROTOCOL.md "Channel history"): a publish on a channel of an app with
// history on is kept in the channel's stream before it fans out, so every `message` frame carries its
// `offset` and `epoch`; a subscribe with `since` or `rewind` gets the missed (or newest) messages from
// the stream, in order, before its ack, which says whether everything missed was `recovered`. Live
// messages that arrive while the stream is read are held and follow the ack, without the ones the
// replay already carried. Replayed messages are metered as deliveries and egress like live ones; they
// never count against the message quota (they were counted when published), but each connection has a
// replay budget (HistoryLimits.replayBurstMessages): past it a replay stops and says `recovered: false`.
import type { Connection, Subscription } from "./connection";
import { TokenBucket } from "./enforcement/token-bucket";
import { replayedAlready } from "./hub";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { currentApp } from "./node-context";
import { HistoryLimits, ServerFrame, ServerFrameType, historyEnabled } from "./protocol";
import type { HistoryRequest, SnapshotApp, StreamPosition } from "./protocol";
import { textFrame } from "./raw-frame";
import { sendBufferDrainedFor } from "./send-buffer";
import type { ChannelMessageEvent, HistoryRead } from "./state/types";
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

/** How a replay went: what the ack says, and the last message it sent. */
interface ReplayOutcome {
  recovered: boolean;
  /** Where the stream stood when the replay began; null without a stream. */
  position: StreamPosition | null;
  lastSent: StreamPosition | null;
}

/** Each connection's replay budget (HistoryLimits.replayBurstMessages), made at its first replay. */
const replayBudgets = new WeakMap<Connection, TokenBucket>();

function replayBudgetOf(connection: Connection): TokenBucket {
  let budget = replayBudgets.get(connection);
  if (!budget) {
    budget = new TokenBucket(HistoryLimits.replayBurstMessages);
    replayBudgets.set(connection, budget);
  }
  return budget;
}

const NOTHING: ReplayOutcome = { recovered: false, position: null, lastSent: null };

/**
 * Where a replay starts: the stream as first read (its position is what the ack reports), the offset
 * after which to send, and whether a `since` can still be recovered (not under another epoch).
 */
interface ReplayStart {
  read: HistoryRead;
  afterOffset: number;
  recoverable: boolean;
}

async function startReplay(context: NodeContext, app: SnapshotApp, channel: string, request: HistoryRequest): Promise<ReplayStart | null> {
  const limits = app.limits;
  const part = HistoryLimits.replayReadMessages;
  if ("since" in request) {
    const { since } = request;
    const read = await context.state.history.after(app.appId, channel, since.offset, part, limits);
    if (read.epoch === null) return null;
    // Another epoch, or an offset the stream never reached: nothing in it is the client's gap.
    if (read.epoch !== since.epoch || since.offset > read.latestOffset) return { read: { ...read, entries: [] }, afterOffset: read.latestOffset, recoverable: false };
    return { read, afterOffset: since.offset, recoverable: true };
  }
  // Where the stream stands, then the newest `rewind` messages up to there.
  const probe = await context.state.history.latest(app.appId, channel, 1, null, limits);
  if (probe.epoch === null) return null;
  const afterOffset = Math.max(0, probe.latestOffset - Math.min(request.rewind, limits.historySize));
  if (afterOffset === probe.latestOffset) return { read: { ...probe, entries: [] }, afterOffset, recoverable: true };
  const read = await context.state.history.after(app.appId, channel, afterOffset, part, limits);
  // Lost between the two reads: the new stream's messages are not the newest of the one reported.
  return { read: { ...probe, entries: read.epoch === probe.epoch ? read.entries : [] }, afterOffset, recoverable: true };
}

/**
 * Sends the messages the request asks for, oldest first, up to where the stream stood when the replay
 * began (later ones are held live messages): read a part at a time and written as the reader drains its
 * socket (send-buffer.ts), so a replay larger than the send buffer reaches a reader that keeps reading. A
 * part of the stream trimmed or lost while the replay runs makes it `recovered: false`.
 */
async function replay(context: NodeContext, connection: Connection, subscription: Subscription, request: HistoryRequest): Promise<ReplayOutcome> {
  const app = currentApp(context, connection.appId, connection.identity.app);
  if (!historyEnabled(app.limits)) return NOTHING;
  const stillWanted = () => !connection.isClosing && connection.subscriptions.get(subscription.channel) === subscription;
  try {
    const start = await startReplay(context, app, subscription.channel, request);
    if (!start?.read.epoch) return NOTHING;
    const epoch = start.read.epoch;
    const position = { offset: start.read.latestOffset, epoch };
    // A since recovers when every message after it is sent; a rewind is the newest it asked for, whatever is kept.
    const sinceOffset = "since" in request ? request.since.offset : null;
    let recovered = start.recoverable;
    let read = start.read;
    const budget = replayBudgetOf(connection);
    let lastOffset = start.afterOffset;
    let lastSent: StreamPosition | null = null;
    for (;;) {
      let sent = 0;
      let bytes = 0;
      for (const entry of read.entries) {
        if (entry.offset > position.offset) break;
        if (sinceOffset !== null && entry.offset !== lastOffset + 1) recovered = false;
        if (!budget.take(HistoryLimits.replayMessagesPerSecond, HistoryLimits.replayBurstMessages)) {
          // Out of replay budget: the replay ends here and does not vouch for the rest.
          meterDeliveries(context, connection, sent, bytes);
          return { recovered: false, position, lastSent };
        }
        if (!(await sendBufferDrainedFor(connection, stillWanted))) {
          meterDeliveries(context, connection, sent, bytes);
          return NOTHING;
        }
        const metadataJson = subscription.includeSenderMetadata ? (entry.fromMetadataJson ?? null) : null;
        const payload = ServerFrame.message(subscription.channel, entry.fromPeerId, entry.dataJson, metadataJson, { offset: entry.offset, epoch });
        if (connection.write(payload, textFrame(payload))) {
          sent += 1;
          bytes += payload.length;
        }
        lastOffset = entry.offset;
        lastSent = { offset: entry.offset, epoch };
      }
      meterDeliveries(context, connection, sent, bytes);
      // A short part is the end of what the stream keeps; a part reaching the position is the end of the replay.
      const last = read.entries.at(-1);
      if (!last || last.offset >= position.offset || read.entries.length < HistoryLimits.replayReadMessages) break;
      read = await context.state.history.after(app.appId, subscription.channel, lastOffset, HistoryLimits.replayReadMessages, app.limits);
      // The stream was lost while it was being replayed: what follows is another stream's.
      if (read.epoch !== epoch) return { recovered: sinceOffset === null ? recovered : false, position, lastSent };
    }
    if (sinceOffset !== null && lastOffset < position.offset) recovered = false;
    return { recovered, position, lastSent };
  } catch (error) {
    if (!(error instanceof HistoryUnavailableError)) throw error;
    context.logger.warn("history unavailable for a replay", { appId: app.appId, channel: subscription.channel });
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
  delete subscription.heldBytes;
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
  let outcome: ReplayOutcome;
  try {
    outcome = await replay(context, connection, subscription, request);
  } catch (error) {
    releaseHeldMessages(context, connection, subscription);
    throw error;
  }
  if (connection.closed || connection.subscriptions.get(subscription.channel) !== subscription) return releaseHeldMessages(context, connection, subscription);
  connection.sendFrame(ServerFrameType.Ack, ServerFrame.historyAck(requestId, outcome.recovered, outcome.position));
  if (outcome.lastSent) subscription.replayedUpTo = outcome.lastSent;
  releaseHeldMessages(context, connection, subscription);
}
