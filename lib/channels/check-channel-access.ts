// Channel rules of PROTOCOL §4 for REST calls, with the relay's own matcher and name rules so a REST
// call and a WebSocket frame can never disagree about a channel.
import { globCovers, globMatches } from "@tollgate/relay/glob";
import type { Action } from "@tollgate/relay/protocol";
import { channelProblem } from "@tollgate/relay/validation";
import { DomainError } from "@/lib/errors";

export function assertChannelName(channel: string, field = "channel"): void {
  const problem = channelProblem(channel);
  if (problem === "channel_reserved") {
    throw new DomainError("channel_reserved", `Channel names starting with _metered/, _internal/ or _system/ are reserved`, { field });
  }
  if (problem !== null) {
    throw new DomainError("invalid_request", "A channel name is 1–256 bytes without control characters", { field });
  }
}

/** A concrete channel must match one of the key's patterns. */
export function assertChannelAllowed(keyPatterns: readonly string[], channel: string): void {
  if (!keyPatterns.some((pattern) => globMatches(pattern, channel))) {
    throw new DomainError("channel_not_authorized", `This key may not use channel "${channel}"`, { field: "channel" });
  }
}

/** A token's channel entry (concrete or a glob) must be covered by one of the key's patterns. */
export function assertChannelPatternCovered(keyPatterns: readonly string[], requested: string, field: string): void {
  if (!keyPatterns.some((pattern) => globCovers(pattern, requested))) {
    throw new DomainError("channel_not_authorized", `"${requested}" is outside this key's channel patterns`, { field });
  }
}

export function assertActionAllowed(keyActions: readonly string[], action: Action, field?: string): void {
  if (!keyActions.includes(action)) {
    throw new DomainError("action_not_permitted", `This key does not allow "${action}"`, field ? { field } : {});
  }
}

/** Operations on a peer as a whole (disconnecting it) reach every channel: only an unnarrowed key may. */
export function assertFullChannelScope(keyPatterns: readonly string[]): void {
  if (!keyPatterns.includes("**")) {
    throw new DomainError("action_not_permitted", `Only a key with the full "**" channel scope may disconnect peers`);
  }
}
