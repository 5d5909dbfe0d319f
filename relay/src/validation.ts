// Name rules of PROTOCOL §2–§5, shared by the WebSocket frames and the internal REST endpoints.
import { ErrorCode, Limits, RESERVED_CHANNEL_PREFIXES } from "./protocol";

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code <= 0x1f || code === 0x7f || (code >= 0x80 && code <= 0x9f)) return true;
  }
  return false;
}

/** null when the channel is usable, else the error code to answer with. */
export function channelProblem(channel: unknown): typeof ErrorCode.InvalidChannel | typeof ErrorCode.ChannelReserved | null {
  if (typeof channel !== "string" || channel.length === 0) return ErrorCode.InvalidChannel;
  if (Buffer.byteLength(channel, "utf8") > Limits.maxChannelNameBytes || hasControlChars(channel)) return ErrorCode.InvalidChannel;
  const lower = channel.toLowerCase();
  if (RESERVED_CHANNEL_PREFIXES.some((prefix) => lower.startsWith(prefix))) return ErrorCode.ChannelReserved;
  return null;
}

/** 1–128 bytes of printable ASCII (0x20–0x7E). */
export function isValidPeerId(peerId: unknown): peerId is string {
  if (typeof peerId !== "string" || peerId.length === 0 || peerId.length > Limits.maxPeerIdBytes) return false;
  for (let i = 0; i < peerId.length; i++) {
    const code = peerId.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
