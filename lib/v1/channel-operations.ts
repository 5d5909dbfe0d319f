// /v1 operations on live state, routed through a relay's internal endpoints after the key's channel
// and action rules are checked here (the relay trusts the control plane's decision).
import { assertActionAllowed, assertChannelAllowed, assertChannelName, assertFullChannelScope } from "@/lib/channels/check-channel-access";
import { DomainError } from "@/lib/errors";
import { assertAppActive, type AuthenticatedKey } from "@/lib/keys/authenticate-secret-key";
import { type RelayClient, RelayUnknownAppError } from "@/lib/relay/relay-client";
import type { Action, ChannelHistoryQuery, ChannelPeersQuery } from "@tollgate/relay/protocol";
import { isValidPeerId } from "@tollgate/relay/validation";

/** A /v1 operation on one channel: a valid name, the action among the key's, the channel within its patterns. */
function assertKeyMay(key: AuthenticatedKey, action: Action, channel: string): void {
  assertChannelName(channel);
  assertActionAllowed(key.actions, action);
  assertChannelAllowed(key.channelPatterns, channel);
}

/** One page of a channel's peers, in peerId order; `nextCursor` continues the walk (null on the last page). */
export async function getChannelPeers(relay: RelayClient, input: { key: AuthenticatedKey; channel: string; page: ChannelPeersQuery }) {
  assertKeyMay(input.key, "presence", input.channel);
  try {
    return await relay.channelPeers(input.key.appId, input.channel, input.page);
  } catch (error) {
    // A relay that has not loaded the app yet has nobody connected to it.
    if (error instanceof RelayUnknownAppError) return { channel: input.channel, peers: [], nextCursor: null };
    throw error;
  }
}

/**
 * A page of the channel's history (newest messages before `query.before`, oldest first): what a
 * subscriber of the channel could replay, so it needs the subscribe action and the channel in scope.
 */
export async function getChannelHistory(relay: RelayClient, input: { key: AuthenticatedKey; channel: string; query: ChannelHistoryQuery }) {
  assertKeyMay(input.key, "subscribe", input.channel);
  try {
    return await relay.channelHistory(input.key.appId, input.channel, input.query);
  } catch (error) {
    // A relay that has not loaded the app yet has kept nothing for it.
    if (error instanceof RelayUnknownAppError) return { channel: input.channel, epoch: null, messages: [], nextBefore: null };
    throw error;
  }
}

export async function publishToChannel(
  relay: RelayClient,
  input: { key: AuthenticatedKey; channel: string; message: { data: unknown; from?: string; peerMetadata?: Record<string, unknown> } },
): Promise<{ channel: string; delivered: number }> {
  assertKeyMay(input.key, "publish", input.channel);
  assertAppActive(input.key);
  const result = await relay.publish(input.key.appId, input.channel, input.message);
  if (result.dropped === "over_message_quota") {
    throw new DomainError("rate_limited", "The app's message quota for this period is used up (enable overages or upgrade the plan)", {
      retryAfterSec: 60,
    });
  }
  return { channel: result.channel, delivered: result.delivered };
}

export async function disconnectPeer(relay: RelayClient, input: { key: AuthenticatedKey; peerId: string }) {
  if (!isValidPeerId(input.peerId)) throw new DomainError("invalid_request", "A peerId is 1–128 printable ASCII characters", { field: "peerId" });
  assertFullChannelScope(input.key.channelPatterns);
  try {
    return await relay.disconnectPeer(input.key.appId, input.peerId);
  } catch (error) {
    if (error instanceof RelayUnknownAppError) return { peerId: input.peerId, closed: 0 };
    throw error;
  }
}
