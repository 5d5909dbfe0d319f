// The frame pipeline (ARCHITECTURE §5): every client frame passes the same stages in the same order,
//   parse/shape → token bucket → permission → channel rules → message quota → handle,
// driven by one table of frame rules. A frame refused at a stage is answered there (error frame, or
// close 4011 for an empty bucket) and goes no further, so a malformed publish costs no token and a
// publish on a forbidden channel costs one. Frames of one connection are handled in order: one that
// waits (presence, a recharge, a cross-node send) queues the next ones behind it, within a byte cap.
import type { RawData } from "ws";
import { checkChannel } from "./channel-access";
import type { Connection } from "./connection";
import * as handlers from "./handlers";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { currentApp, snapshotGeneratedAtMs } from "./node-context";
import { parseClientFrame } from "./parse-frame";
import { Disconnect, ErrorCode } from "./protocol";
import type { Action, ClientFrame, ClientFrameOf, ClientFrameType } from "./protocol";

/** Bytes of frames a connection may have waiting behind an asynchronous one before it is cut off. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

type Handler<T extends ClientFrameType> = (context: NodeContext, connection: Connection, frame: ClientFrameOf<T>, channel: string) => void | Promise<void>;

export interface FrameRule<T extends ClientFrameType> {
  /** Takes a token from the connection's bucket (PROTOCOL §5: publish and send only). */
  costsToken: boolean;
  /** The permission the frame needs, or null. */
  action: Action | null;
  /** Channel rules: "authorize" = name and authorization, "name" = name only, null = no channel. */
  channel: "authorize" | "name" | null;
  /** Counts against the message quota and is refused (soft drop) when the billing gate says so. */
  metered: boolean;
  handle: Handler<T>;
}

export const FRAME_RULES: { readonly [T in ClientFrameType]: FrameRule<T> } = {
  ping: { costsToken: false, action: null, channel: null, metered: false, handle: handlers.ping },
  subscribe: { costsToken: false, action: "subscribe", channel: "authorize", metered: false, handle: handlers.subscribe },
  unsubscribe: { costsToken: false, action: null, channel: "name", metered: false, handle: handlers.unsubscribe },
  publish: { costsToken: true, action: "publish", channel: "authorize", metered: true, handle: handlers.publish },
  send: { costsToken: true, action: "send", channel: null, metered: true, handle: handlers.send },
};

const pendingOf = (result: void | Promise<void>): Promise<void> | undefined => (result instanceof Promise ? result : undefined);

/** Runs one frame through the stages; a promise when it has to wait (the caller queues the next frames). */
export function runFrame(context: NodeContext, connection: Connection, text: string): Promise<void> | undefined {
  // 1. parse/shape
  const parsed = parseClientFrame(text);
  RelayCounters.bump(context.counters.framesIn, parsed.ok ? parsed.frame.type : parsed.counted);
  if (!parsed.ok) {
    connection.sendError(parsed.code, parsed.message, parsed.requestId);
    return undefined;
  }
  const frame: ClientFrame = parsed.frame;
  const requestId = frame.requestId;
  const rule = FRAME_RULES[frame.type] as FrameRule<ClientFrameType>;
  const app = currentApp(context, connection.appId, connection.identity.app);
  // 2. token bucket (rate and burst from the app's current plan)
  if (rule.costsToken && !connection.bucket.take(app.limits.tokenBucketRefillPerSecond, app.limits.tokenBucketBurst)) {
    context.counters.tokenBucketCloses += 1;
    connection.close(Disconnect.OverMessageRate);
    return undefined;
  }
  // 3. permission
  if (rule.action !== null && !connection.permissions.has(rule.action)) {
    connection.sendError(ErrorCode.ActionNotPermitted, `${frame.type} not permitted`, requestId);
    return undefined;
  }
  // 4. channel rules
  let channel = "";
  if (rule.channel !== null) {
    const check = checkChannel(connection, "channel" in frame ? frame.channel : undefined, rule.channel === "authorize");
    if (!check.ok) {
      connection.sendError(check.code, check.message, requestId);
      return undefined;
    }
    channel = check.channel;
  }
  // 6. handle (after 5 for metered frames)
  const handle = () => rule.handle(context, connection, frame as ClientFrameOf<ClientFrameType>, channel);
  if (!rule.metered) return pendingOf(handle());
  // 5. message quota: a refusal is a soft drop, the connection stays
  const decided = (allowed: boolean): void | Promise<void> => {
    if (allowed) return handle();
    context.counters.softDrops += 1;
    connection.sendError(ErrorCode.OverMessageQuota, "message quota used up", requestId);
  };
  const admission = context.gate.admitMessage(app, connection.keyId, snapshotGeneratedAtMs(context));
  if (admission instanceof Promise) return admission.then((decision) => decided(decision.allowed));
  return pendingOf(decided(admission.allowed));
}

/** A frame that throws is answered `internal_error`; the connection stays. */
function runSafely(context: NodeContext, connection: Connection, text: string): Promise<void> | undefined {
  const fail = (error: unknown) => {
    context.logger.error("frame handling failed", { connectionId: connection.id, error: error instanceof Error ? error.message : String(error) });
    connection.sendError(ErrorCode.InternalError, "internal error", requestIdOf(text));
  };
  try {
    return runFrame(context, connection, text)?.catch(fail);
  } catch (error) {
    fail(error);
    return undefined;
  }
}

/** The requestId to correlate an internal error with (only on the rare failure path). */
function requestIdOf(text: string): string | undefined {
  const parsed = parseClientFrame(text);
  return parsed.ok ? parsed.frame.requestId : parsed.requestId;
}

function trackQueue(connection: Connection, pending: Promise<void>): void {
  connection.queue = pending;
  void pending.then(() => {
    if (connection.queue === pending) connection.queue = null;
  });
}

/** The ws `message` listener of a connection: size is already capped by ws (1009); binary is refused. */
export function onFrame(context: NodeContext, connection: Connection, data: RawData, isBinary: boolean): void {
  if (connection.isClosing) return;
  if (isBinary) {
    RelayCounters.bump(context.counters.framesIn, "binary");
    connection.sendError(ErrorCode.MalformedMessage, "binary frames are not supported");
    return;
  }
  const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
  if (connection.queue) {
    if (connection.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      connection.close(Disconnect.TooManyPendingFrames);
      return;
    }
    connection.queuedBytes += text.length;
    const next = connection.queue.then(() => {
      connection.queuedBytes -= text.length;
      return connection.closed ? undefined : runSafely(context, connection, text);
    });
    trackQueue(connection, next);
    return;
  }
  const pending = runSafely(context, connection, text);
  if (pending) trackQueue(connection, pending);
}
