// What each client frame does once the pipeline (pipeline.ts) has let it through: shape, token,
// permission, channel rules and quota are already decided when a handler runs.
import type { Connection, Subscription } from "./connection";
import { holdLiveMessages, keepInHistory, releaseHeldMessages, replayAndAcknowledge } from "./channel-history";
import { compileGlob, isWildcard } from "./glob";
import type { NodeContext } from "./node-context";
import { currentApp, stateGeneratedAtMs } from "./node-context";
import { ErrorCode, Limits, ServerFrame, ServerFrameType, historyEnabled } from "./protocol";
import type { PingFrame, PublishFrame, SendFrame, SnapshotApp, SubscribeFrame, UnsubscribeFrame } from "./protocol";
import { sendRoster } from "./roster-pages";
import type { ChannelMessageEvent, ChannelRefusal, DirectEvent, JoinResult, JsonObject, PresenceMember } from "./state/types";

export function ping(_context: NodeContext, connection: Connection, _frame: PingFrame): void {
  connection.sendFrame(ServerFrameType.Pong, ServerFrame.pong());
}

async function leavePresence(context: NodeContext, connection: Connection, channel: string): Promise<void> {
  const { lastForPeer } = await context.state.presence.leave(connection.appId, channel, connection.peerId, connection.id);
  if (lastForPeer) context.state.bus.publishPresence({ appId: connection.appId, channel, joined: [], left: [{ peerId: connection.peerId }], excludePeerId: connection.peerId });
}

/** Leaves the presence of every exact subscription (a closed connection's cleanup). */
export async function leaveAllPresence(context: NodeContext, connection: Connection): Promise<void> {
  for (const subscription of connection.subscriptions.values()) {
    if (!subscription.wildcard) await leavePresence(context, connection, subscription.channel);
  }
}

/** Answers a subscribe refused by a channel limit (PROTOCOL §10), and meters the refusal (the app's alerts). */
function refuse(context: NodeContext, connection: Connection, app: SnapshotApp, refused: ChannelRefusal, requestId: string | undefined): void {
  const [code, message] =
    refused.limit === "maxPeersPerChannel"
      ? [ErrorCode.ChannelFull, `Channel peer limit exceeded: limit ${refused.max} (peers: ${refused.count})`]
      : [ErrorCode.ChannelQuotaExceeded, `Active channel limit exceeded: limit ${refused.max} (active: ${refused.count})`];
  context.meter.refusedSubscribe(connection.appId, app.period.startUnix, code);
  connection.sendError(code, message, requestId);
}

function presenceMember(connection: Connection): PresenceMember {
  return connection.peerMetadataJson === undefined ? { peerId: connection.peerId } : { peerId: connection.peerId, metadataJson: connection.peerMetadataJson };
}

/**
 * A new exact subscription joins presence before the hub delivers to it: the join is where the
 * channel limits are decided (atomically, across nodes), so a refused subscribe changes nothing and
 * never receives a message of the channel. Undefined when refused (answered here) or closed meanwhile.
 */
async function admitToChannel(context: NodeContext, connection: Connection, subscription: Subscription, requestId: string | undefined): Promise<JoinResult | undefined> {
  // The hub's string for the channel: a node keeps one per channel name, presence included.
  subscription.channel = context.hub.channelName(connection, subscription.channel);
  const app = currentApp(context, connection.appId, connection.identity.app);
  const joined = await context.state.presence.join(connection.appId, subscription.channel, presenceMember(connection), connection.id, app.limits);
  if (joined.refused) {
    refuse(context, connection, app, joined.refused, requestId);
    return undefined;
  }
  if (joined.activeChannels !== undefined) context.meter.activeChannels(connection.appId, app.period.startUnix, joined.activeChannels);
  if (connection.closed) {
    // Its cleanup did not see this subscription: undo the join here.
    await leavePresence(context, connection, subscription.channel);
    return undefined;
  }
  return joined;
}

/** Wildcard subscriptions join no presence and occupy no channel (PROTOCOL §10). */
export async function subscribe(context: NodeContext, connection: Connection, frame: SubscribeFrame, channel: string): Promise<void> {
  const { requestId, includeSenderMetadata, history } = frame;
  if (history && isWildcard(channel)) {
    return connection.sendError(ErrorCode.HistoryNotSupported, "since and rewind need an exact channel name: a wildcard subscription has no history", requestId);
  }
  const existing = connection.subscriptions.get(channel);
  /** The presence join of a new exact subscription, made before the hub indexed it. */
  let admitted: JoinResult | undefined;
  if (existing) {
    existing.includeSenderMetadata = includeSenderMetadata;
    if (history) holdLiveMessages(existing);
  } else {
    if (connection.subscriptions.size >= Limits.maxSubscriptionsPerConnection) {
      return connection.sendError(ErrorCode.ChannelLimitExceeded, `at most ${Limits.maxSubscriptionsPerConnection} subscriptions per connection`, requestId);
    }
    const wildcard = isWildcard(channel);
    const subscription: Subscription = { channel, includeSenderMetadata, wildcard };
    if (wildcard) subscription.glob = compileGlob(channel);
    else {
      admitted = await admitToChannel(context, connection, subscription, requestId);
      if (!admitted) return;
      // From the moment the hub delivers to it: presence changes wait for the roster's first page (roster-pages.ts).
      if (connection.canPresence) subscription.heldPresence = [];
    }
    if (history) holdLiveMessages(subscription);
    // The first subscriber of an app on this node waits until the node hears the app's traffic, so
    // nothing published after the acknowledgement can miss it.
    await context.hub.subscribe(connection, subscription);
  }
  const subscription = connection.subscriptions.get(channel);
  if (!subscription || subscription.wildcard) {
    if (!connection.closed) connection.sendAck(requestId);
    return;
  }
  if (history) {
    try {
      await joinPresence(context, connection, subscription, admitted, () => replayAndAcknowledge(context, connection, subscription, history, requestId));
    } finally {
      // Whatever went wrong on the way, the subscription must not keep holding its live messages.
      if (subscription.heldMessages) releaseHeldMessages(context, connection, subscription);
    }
    return;
  }
  await joinPresence(context, connection, subscription, admitted, async () => connection.sendAck(requestId));
}

/**
 * Completes the presence join (`admitted`: a new subscription's, already made; a repeat subscribe
 * rejoins, idempotent and never refused: its peer is in), acknowledges (`acknowledge`), then sends
 * the roster to a new subscriber and announces the peer when it is its first connection in the channel.
 */
async function joinPresence(context: NodeContext, connection: Connection, subscription: Subscription, admitted: JoinResult | undefined, acknowledge: () => Promise<void>): Promise<void> {
  const channel = subscription.channel;
  const member = presenceMember(connection);
  // The subscription's channel, not the frame's: the hub keeps one string per channel name.
  const { firstForPeer } = admitted ?? (await context.state.presence.join(connection.appId, channel, member, connection.id));
  if (connection.closed || !connection.subscriptions.has(channel)) {
    // Closed or unsubscribed while joining: undo so the roster does not keep a ghost.
    await leavePresence(context, connection, channel);
    return;
  }
  await acknowledge();
  // A repeat subscribe gets no second roster: this connection has had the roster and every change since.
  if (connection.canPresence && admitted) sendRoster(context, connection, subscription);
  if (firstForPeer) context.state.bus.publishPresence({ appId: connection.appId, channel, joined: [member], left: [], excludePeerId: connection.peerId });
}

export async function unsubscribe(context: NodeContext, connection: Connection, frame: UnsubscribeFrame, channel: string): Promise<void> {
  const subscription = connection.subscriptions.get(channel);
  if (!subscription) return connection.sendAck(frame.requestId);
  context.hub.unsubscribe(connection, subscription);
  connection.sendAck(frame.requestId);
  if (!subscription.wildcard) await leavePresence(context, connection, channel);
}

export function publish(context: NodeContext, connection: Connection, frame: PublishFrame, channel: string): void | Promise<void> {
  connection.sendAck(frame.requestId);
  const event: ChannelMessageEvent = { appId: connection.appId, channel, fromPeerId: connection.peerId, dataJson: JSON.stringify(frame.data), excludeConnectionId: connection.id };
  if (connection.peerMetadataJson !== undefined) event.fromMetadataJson = connection.peerMetadataJson;
  const app = currentApp(context, connection.appId, connection.identity.app);
  if (!historyEnabled(app.limits)) {
    context.state.bus.publishChannelMessage(event);
    return;
  }
  // The connection's next frames wait for this one, so its messages keep their order in the stream.
  return keepInHistory(context, app, event).then(() => void context.state.bus.publishChannelMessage(event));
}

export async function send(context: NodeContext, connection: Connection, frame: SendFrame): Promise<void> {
  const { requestId } = frame;
  const event: DirectEvent = { appId: connection.appId, toPeerId: frame.to, fromPeerId: connection.peerId, dataJson: JSON.stringify(frame.data) };
  if (connection.peerMetadataJson !== undefined) event.fromMetadataJson = connection.peerMetadataJson;
  let reached: number;
  try {
    reached = await context.state.bus.sendDirect(event);
  } catch (error) {
    context.logger.warn("direct send failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
    return connection.sendError(ErrorCode.BackendError, "routing failed; retry shortly", requestId);
  }
  if (reached === 0) return connection.sendError(ErrorCode.PeerNotFound, "peer not connected", requestId);
  connection.sendAck(requestId);
}

/** A publish from the control plane's REST API: one message against the quota, no publishing connection. */
export async function restPublish(
  context: NodeContext,
  app: SnapshotApp,
  channel: string,
  data: unknown,
  from: string,
  peerMetadata: JsonObject | undefined,
): Promise<{ delivered: number; dropped: boolean }> {
  const admission = await context.gate.admitMessage(app, null, stateGeneratedAtMs(context, app.appId));
  if (!admission.allowed) {
    context.counters.softDrops += 1;
    return { delivered: 0, dropped: true };
  }
  const event: ChannelMessageEvent = { appId: app.appId, channel, fromPeerId: from, dataJson: JSON.stringify(data) };
  if (peerMetadata) event.fromMetadataJson = JSON.stringify(peerMetadata);
  await keepInHistory(context, app, event);
  return { delivered: await context.state.bus.publishChannelMessageCounted(event), dropped: false };
}
