// Framed writes: a frame to a client is built as one buffer (WebSocket header + payload) and written
// to the socket in one write; a channel message is framed once and that buffer goes to every
// recipient. `ws.send` would frame per call (a header allocation, cork/uncork and a two-buffer
// writev each time). Only used while
// `ws` has nothing queued for the connection (its sender is idle; we never enable compression or
// send Blobs, the two things that make it queue), so frames can never interleave; otherwise, or if
// a future `ws` changes these internals, delivery falls back to `ws.send`.
import type { WebSocket } from "ws";

/** An unmasked, final text frame (server → client frames are never masked, RFC 6455 §5.1). */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerBytes = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerBytes);
  return frame;
}

interface WsInternals {
  _socket?: { write?: unknown };
  /** ws's sender; its `_state` is 0 (DEFAULT) while nothing is queued in it. */
  _sender?: { _state?: unknown };
}

/** Whether `writeFramed` can write to this connection at all with the installed ws (tests pin it). */
export function canWriteFramed(ws: WebSocket): boolean {
  const internals = ws as unknown as WsInternals;
  return typeof internals._socket?.write === "function" && typeof internals._sender?._state === "number";
}

/**
 * Writes a pre-built frame straight to the connection's socket; false when that is not safe right now
 * (ws has something queued, or its internals are not as expected): the caller falls back to `ws.send`.
 */
export function writeFramed(ws: WebSocket, frame: Buffer): boolean {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket as { write?: (chunk: Buffer) => boolean } | undefined;
  if (internals._sender?._state !== 0 || typeof socket?.write !== "function") return false;
  socket.write(frame);
  return true;
}
