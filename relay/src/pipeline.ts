// The frame pipeline (ARCHITECTURE §5): every client frame passes the same stages in the same order,
//   byte budget → parse/shape → token bucket (message or control) → permission → channel rules →
//   message quota → handle,
// driven by one table of frame rules. A frame refused at a stage is answered there (error frame, or
// close 4011 for an empty message bucket or a frame flood) and goes no further. Every frame pays: its
// bytes before it is decoded, and a token of the message bucket (publish, send) or of the control
// bucket (everything else, malformed and unknown frames included); a publish on a forbidden channel
// pays too. Frames run in their app's fair share of the event loop (frame-scheduler.ts), which also
// keeps a connection's frames in order behind one that waits (presence, a recharge, a cross-node send).
import type { RawData } from "ws";
import { checkChannel } from "./channel-access";
import type { Connection } from "./connection";
import type { FrameBudgetVerdict } from "./enforcement/frame-budget";
import { DEFAULT_FRAME_SCHEDULER, FrameScheduler } from "./frame-scheduler";
import * as handlers from "./handlers";
import { RelayCounters } from "./metrics";
import type { NodeContext } from "./node-context";
import { currentApp, stateGeneratedAtMs } from "./node-context";
import { parseClientFrame } from "./parse-frame";
import { Disconnect, ErrorCode } from "./protocol";
import type { Action, ClientFrame, ClientFrameOf, ClientFrameType, SnapshotApp } from "./protocol";


type Handler<T extends ClientFrameType> = (context: NodeContext, connection: Connection, frame: ClientFrameOf<T>, channel: string) => void | Promise<void>;

export interface FrameRule<T extends ClientFrameType> {
  /** Takes a token from the message bucket (PROTOCOL §5: publish and send); other frames pay the control bucket. */
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

/**
 * Acts on a frame-budget verdict: true when the frame may go on; otherwise the frame is dropped and
 * answered `rate_limited`, or the connection is closed 4011 when it keeps flooding.
 */
function budgetAllows(context: NodeContext, connection: Connection, app: SnapshotApp, verdict: FrameBudgetVerdict, requestId?: string): boolean {
  if (verdict === "ok") return true;
  context.counters.rateLimitedFrames += 1;
  if (verdict === "flood") {
    context.counters.frameFloodCloses += 1;
    connection.close(Disconnect.FrameFlood);
    return false;
  }
  const { controlFrameRefillPerSecond, controlFrameBurst, inboundBytesPerSecond } = app.limits;
  connection.sendError(
    ErrorCode.RateLimited,
    `frame dropped: at most ${controlFrameRefillPerSecond} control frames/s (burst ${controlFrameBurst}) and ${inboundBytesPerSecond} bytes/s per connection`,
    requestId,
  );
  return false;
}

/** Runs one frame through the stages; a promise when it has to wait (the caller queues the next frames). */
export function runFrame(context: NodeContext, connection: Connection, text: string): Promise<void> | undefined {
  // 1. parse/shape
  const parsed = parseClientFrame(text);
  RelayCounters.bump(context.counters.framesIn, parsed.ok ? parsed.frame.type : parsed.counted);
  const app = currentApp(context, connection.appId, connection.identity.app);
  if (!parsed.ok) {
    if (budgetAllows(context, connection, app, connection.frameBudget.payControl(app.limits), parsed.requestId)) {
      connection.sendError(parsed.code, parsed.message, parsed.requestId);
    }
    return undefined;
  }
  const frame: ClientFrame = parsed.frame;
  const requestId = frame.requestId;
  const rule = FRAME_RULES[frame.type] as FrameRule<ClientFrameType>;
  // 2. token bucket: the message bucket (rate and burst from the app's current plan), or the control bucket
  if (rule.costsToken) {
    if (!connection.bucket.take(app.limits.tokenBucketRefillPerSecond, app.limits.tokenBucketBurst)) {
      context.counters.tokenBucketCloses += 1;
      connection.close(Disconnect.OverMessageRate);
      return undefined;
    }
  } else if (!budgetAllows(context, connection, app, connection.frameBudget.payControl(app.limits), requestId)) {
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
  const admission = context.gate.admitMessage(app, connection.keyId, stateGeneratedAtMs(context, app.appId));
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

function byteLengthOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((total, chunk) => total + chunk.length, 0);
  return data.byteLength;
}

/** The node's frame scheduler: frames run through the pipeline in each app's fair share of the event loop. */
export function createFrameScheduler(context: () => NodeContext): FrameScheduler<Connection> {
  return new FrameScheduler<Connection>({
    ...DEFAULT_FRAME_SCHEDULER,
    run: (connection, text) => (connection.closed ? undefined : runSafely(context(), connection, text)),
    onOverflow: (connection) => connection.close(Disconnect.TooManyPendingFrames),
  });
}

/** The ws `message` listener of a connection: size is already capped by ws (1009); binary is refused. */
export function onFrame(context: NodeContext, connection: Connection, data: RawData, isBinary: boolean): void {
  if (connection.isClosing) return;
  const app = currentApp(context, connection.appId, connection.identity.app);
  if (!budgetAllows(context, connection, app, connection.frameBudget.payBytes(app.limits, byteLengthOf(data)))) return;
  if (isBinary) {
    RelayCounters.bump(context.counters.framesIn, "binary");
    if (budgetAllows(context, connection, app, connection.frameBudget.payControl(app.limits))) {
      connection.sendError(ErrorCode.MalformedMessage, "binary frames are not supported");
    }
    return;
  }
  const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
  context.frames.accept(connection, text);
}
