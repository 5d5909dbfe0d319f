// The first stage of the frame pipeline (ARCHITECTURE §5 "JSON/shape"): text → a typed client frame,
// or the error to answer. Only the frame's own shape is checked here (JSON object, string `type`,
// `requestId`, `data` present, `send.to` a peer id); channel names are the channel rules' business,
// which come after the token bucket and the permission check.
import { ErrorCode, HistoryLimits, Limits, isClientFrameType, streamPositionSchema } from "./protocol";
import type { ClientFrame, ClientFrameType, HistoryRequest } from "./protocol";
import { isJsonObject, isValidPeerId } from "./validation";

export type FrameParse =
  | { ok: true; frame: ClientFrame }
  | {
      ok: false;
      /** The frame type for the frames-in counter: a client frame type, "malformed" or "unknown". */
      counted: ClientFrameType | "malformed" | "unknown";
      code: ErrorCode;
      message: string;
      /** Set once the requestId itself passed its check, so the error can be correlated. */
      requestId: string | undefined;
    };

const malformed = (message: string): FrameParse => ({ ok: false, counted: "malformed", code: ErrorCode.MalformedMessage, message, requestId: undefined });

export function parseClientFrame(text: string): FrameParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return malformed("frame is not JSON");
  }
  if (!isJsonObject(parsed) || typeof parsed.type !== "string") return malformed("frame must be an object with a string type");
  const requestIdValue = parsed.requestId;
  if (requestIdValue !== undefined && (typeof requestIdValue !== "string" || requestIdValue.length === 0 || requestIdValue.length > Limits.maxRequestIdChars)) {
    return malformed(`requestId must be a non-empty string of at most ${Limits.maxRequestIdChars} characters`);
  }
  const requestId = requestIdValue;
  const type = parsed.type;
  if (!isClientFrameType(type)) return { ok: false, counted: "unknown", code: ErrorCode.UnknownType, message: "unknown frame type", requestId };
  const refuse = (code: ErrorCode, message: string): FrameParse => ({ ok: false, counted: type, code, message, requestId });
  const base = requestId === undefined ? {} : { requestId };
  switch (type) {
    case "subscribe": {
      const history = historyRequestOf(parsed);
      if (typeof history === "string") return refuse(ErrorCode.MalformedMessage, history);
      const frame = { type, channel: parsed.channel, includeSenderMetadata: parsed.includeSenderMetadata === true, ...base };
      return { ok: true, frame: history === undefined ? frame : { ...frame, history } };
    }
    case "unsubscribe":
      return { ok: true, frame: { type, channel: parsed.channel, ...base } };
    case "publish":
      if (!("data" in parsed)) return refuse(ErrorCode.MissingData, "publish needs data");
      return { ok: true, frame: { type, channel: parsed.channel, data: parsed.data, ...base } };
    case "send": {
      const to = parsed.to;
      if (!isValidPeerId(to)) return refuse(ErrorCode.InvalidPeerId, "to must be 1-128 bytes of printable ASCII");
      if (!("data" in parsed)) return refuse(ErrorCode.MissingData, "send needs data");
      return { ok: true, frame: { type, to, data: parsed.data, ...base } };
    }
    case "ping":
      return { ok: true, frame: { type, ...base } };
  }
}

/** A subscribe's `since` or `rewind` (at most one of them), or why it is refused. */
function historyRequestOf(frame: Record<string, unknown>): HistoryRequest | undefined | string {
  const { since, rewind } = frame;
  if (since === undefined && rewind === undefined) return undefined;
  if (since !== undefined && rewind !== undefined) return "a subscribe carries since or rewind, not both";
  if (since !== undefined) {
    const position = streamPositionSchema.safeParse(since);
    if (!position.success) return `since must be {offset, epoch} from a message or ack: offset a whole number ≥ 0, epoch a string of 1–${HistoryLimits.maxEpochChars} characters`;
    return { since: position.data };
  }
  if (typeof rewind !== "number" || !Number.isSafeInteger(rewind) || rewind < 0 || rewind > HistoryLimits.maxSize) {
    return `rewind must be a whole number from 0 to ${HistoryLimits.maxSize}`;
  }
  return { rewind };
}
