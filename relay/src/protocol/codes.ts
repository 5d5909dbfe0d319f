// Close codes and error codes of the wire protocol (PROTOCOL.md §3). The single source: the relay,
// the control plane, the tests and the docs import these; nothing else spells a code.

export const CloseCode = {
  /** Server shutting down, after `going_away`: reconnect after retryAfterMs. */
  GoingAway: 1001,
  /** Policy violation; also a slow consumer whose send buffer passed its cap (reason `slow_consumer`). */
  PolicyViolation: 1008,
  /** Inbound frame over the 64 KB ceiling. */
  MessageTooBig: 1009,
  /** Try again later (RFC 6455's registered 1013): the relay could not look the credential's app up. */
  TryAgainLater: 1013,
  /** Invalid token or key: bad signature, unknown/revoked key, bad claims, origin not allowed. */
  InvalidToken: 4001,
  TokenExpired: 4002,
  /** Reserved; Tollgate answers unauthorized subscribes with an `error` frame instead. */
  ChannelNotAuthorized: 4003,
  OverConcurrentLimit: 4010,
  /** Per-connection token bucket empty. */
  OverMessageRate: 4011,
  AppSuspended: 4012,
  /** Disconnected by the app's backend (DELETE /v1/peers/:id) or by a team owner from the dashboard. */
  AdminDisconnect: 4020,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export const ErrorCode = {
  MalformedMessage: "malformed_message",
  UnknownType: "unknown_type",
  InvalidChannel: "invalid_channel",
  ChannelReserved: "channel_reserved",
  ChannelNotAuthorized: "channel_not_authorized",
  ChannelLimitExceeded: "channel_limit_exceeded",
  InvalidPeerId: "invalid_peer_id",
  PeerNotFound: "peer_not_found",
  MissingData: "missing_data",
  ActionNotPermitted: "action_not_permitted",
  OverMessageQuota: "over_message_quota",
  /** The connection's frame or byte budget is spent (PROTOCOL §8 control-frame bound); the frame was dropped. */
  RateLimited: "rate_limited",
  /** A subscribe's `since` or `rewind` on a wildcard channel: history is kept per exact channel. */
  HistoryNotSupported: "history_not_supported",
  /** The subscribe would put more distinct peers in the channel than the plan's maxPeersPerChannel (PROTOCOL §10). */
  ChannelFull: "channel_full",
  /** The subscribe would open one more channel than the plan's maxActiveChannels (PROTOCOL §10). */
  ChannelQuotaExceeded: "channel_quota_exceeded",
  BackendError: "backend_error",
  InternalError: "internal_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
