import { CloseCode } from "./codes";

// Why a connection ended, in the words a dashboard shows next to each close code the relay counts.
// Besides the codes the relay sends (CloseCode), it counts the codes a connection ends with when the
// client closes it (1000, 1005) or the network drops it (1006), so those are named here too.

/** WebSocket close codes a relay never sends but counts (RFC 6455 §7.4.1). */
export const PeerCloseCode = {
  /** The client closed the connection normally. */
  NormalClosure: 1000,
  /** The client closed without giving a code. */
  NoStatus: 1005,
  /** No close frame at all: the network or the client process went away. */
  AbnormalClosure: 1006,
} as const;
export type PeerCloseCode = (typeof PeerCloseCode)[keyof typeof PeerCloseCode];

/** Every code the relay sends or counts has a reason: adding a close code without one is a type error. */
export const CLOSE_REASONS: Readonly<Record<CloseCode | PeerCloseCode, string>> = {
  [PeerCloseCode.NormalClosure]: "closed by client",
  [PeerCloseCode.NoStatus]: "closed by client (no code)",
  [PeerCloseCode.AbnormalClosure]: "connection lost",
  [CloseCode.GoingAway]: "relay restarting",
  [CloseCode.PolicyViolation]: "policy violation or slow consumer",
  [CloseCode.MessageTooBig]: "message over 64 KB",
  [CloseCode.TryAgainLater]: "control plane unavailable for an app the relay did not hold",
  // One code covers every refused credential (PROTOCOL §1): a revoked key is as likely as a bad token.
  [CloseCode.InvalidToken]: "credential refused (bad token, unknown or revoked key, origin not allowed)",
  [CloseCode.TokenExpired]: "token expired",
  [CloseCode.ChannelNotAuthorized]: "channel not authorized",
  [CloseCode.OverConcurrentLimit]: "over the concurrent-connection limit",
  [CloseCode.OverMessageRate]: "over the per-connection message or frame rate",
  [CloseCode.AppSuspended]: "app suspended",
  [CloseCode.AdminDisconnect]: "disconnected by your backend or a team owner",
};

/** The reason a close code stands for, or null for a code Tollgate does not name. */
export function closeReason(code: number): string | null {
  return (CLOSE_REASONS as Readonly<Record<number, string>>)[code] ?? null;
}
