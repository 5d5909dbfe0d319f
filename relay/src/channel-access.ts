// Channel rules of a frame (PROTOCOL §2–§4): the name (invalid, reserved) and, for subscribe and
// publish, authorization against the key's channel patterns and the token's `channels` claim.
// Wildcard subscriptions must be covered by a pattern, not merely overlap it.
import type { Connection } from "./connection";
import { globCovers, globMatches, isWildcard } from "./glob";
import { ErrorCode } from "./protocol";
import { channelProblem } from "./validation";

export type ChannelCheck = { ok: true; channel: string } | { ok: false; code: ErrorCode; message: string };

function authorized(connection: Connection, channel: string, wildcard: boolean): boolean {
  return connection.authorized(wildcard ? `\u0000${channel}` : channel, () => {
    const test = wildcard ? globCovers : globMatches;
    if (!connection.key.channelPatterns.some((pattern) => test(pattern, channel))) return false;
    const tokenChannels = connection.identity.tokenChannels;
    return tokenChannels === null || tokenChannels.some((pattern) => test(pattern, channel));
  });
}

export function checkChannel(connection: Connection, channel: unknown, authorize: boolean): ChannelCheck {
  const problem = channelProblem(channel);
  if (problem !== null || typeof channel !== "string") {
    const code = problem ?? ErrorCode.InvalidChannel;
    return { ok: false, code, message: code === ErrorCode.ChannelReserved ? "reserved channel prefix" : "invalid channel name" };
  }
  if (authorize && !authorized(connection, channel, isWildcard(channel))) return { ok: false, code: ErrorCode.ChannelNotAuthorized, message: "channel not authorized" };
  return { ok: true, channel };
}
