// Every close the relay makes (PROTOCOL §3), as one table: the close code, the reason sent in the
// close frame, and whether a client should reconnect (with the same credential, possibly after a
// back-off or with a fresh token). Closes name an entry of this table; nothing else spells a reason.
import { CloseCode } from "./codes";

export interface DisconnectKind {
  readonly code: CloseCode;
  readonly reason: string;
  readonly reconnect: boolean;
}

const kind = (code: CloseCode, reason: string, reconnect: boolean): DisconnectKind => ({ code, reason, reconnect });

export const Disconnect = {
  /** Shutdown after `going_away`: reconnect after its retryAfterMs. */
  GoingAway: kind(CloseCode.GoingAway, "going_away", true),
  /** The send buffer passed its cap. */
  SlowConsumer: kind(CloseCode.PolicyViolation, "slow_consumer", true),
  /** Too many bytes of frames waiting behind an asynchronous one. */
  TooManyPendingFrames: kind(CloseCode.PolicyViolation, "too_many_pending_frames", true),
  /** An inbound frame over the ceiling (ws closes the socket itself; this names the code). */
  MessageTooBig: kind(CloseCode.MessageTooBig, "message_too_big", true),
  /** Bad credential at connect: signature, unknown key, claims, origin, peerMetadata. */
  InvalidCredential: kind(CloseCode.InvalidToken, "invalid_credential", false),
  /** The key of a live connection was revoked or expired. */
  KeyRevoked: kind(CloseCode.InvalidToken, "key_revoked", false),
  /** The app of a live connection was deleted. */
  AppRemoved: kind(CloseCode.InvalidToken, "app_removed", false),
  /** At connect, or ~250 ms before the token's exp: reconnect with a fresh token. */
  TokenExpired: kind(CloseCode.TokenExpired, "token_expired", true),
  /** The concurrency gate refused: back off ≥ 30 s or upgrade. */
  OverConcurrentLimit: kind(CloseCode.OverConcurrentLimit, "over_concurrent_limit", true),
  /** The token bucket is empty; a new connection starts with a full one. */
  OverMessageRate: kind(CloseCode.OverMessageRate, "over_message_rate", true),
  /** Frames kept coming after `rate_limited` (three times the control burst refused within 10 s). */
  FrameFlood: kind(CloseCode.OverMessageRate, "frame_flood", true),
  /** The peerId already holds the most connections one peer may have on this node. */
  TooManyPeerConnections: kind(CloseCode.OverConcurrentLimit, "too_many_peer_connections", true),
  AppSuspended: kind(CloseCode.AppSuspended, "app_suspended", false),
  /**
   * The credential names an app this node does not hold and the control plane did not answer its
   * lookup (an outage): it is neither admitted unchecked nor called invalid. Reconnect with a back-off.
   */
  ControlPlaneUnavailable: kind(CloseCode.TryAgainLater, "control_plane_unavailable", true),
  /** DELETE /v1/peers/:id from the app's backend. */
  AdminDisconnect: kind(CloseCode.AdminDisconnect, "disconnected_by_backend", false),
  /** A team owner disconnected the peer from the dashboard's connection inspector. */
  OwnerDisconnect: kind(CloseCode.AdminDisconnect, "disconnected_by_owner", false),
} as const satisfies Record<string, DisconnectKind>;

/** Close codes after which a client should not reconnect with the same credential. */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set(
  Object.values(Disconnect)
    .filter((disconnect) => !disconnect.reconnect)
    .map((disconnect) => disconnect.code),
);
