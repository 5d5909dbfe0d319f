// Fan-out fast path: a channel message is framed once (WebSocket header + payload in one buffer)
// and that buffer is written to each recipient's socket, instead of `ws.send` re-framing it per
// recipient (a header allocation, cork/uncork and a two-buffer writev each time). Only used while
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

interface WsSocketInternals {
  write(chunk: Buffer): boolean;
}

interface WsSenderInternals {
  /** 0 (DEFAULT) while nothing is queued in ws's sender. */
  _state: number;
}

export interface RawFrameWriter {
  /** Writes a pre-built frame; false when the fast path is not usable right now (use ws.send). */
  write(frame: Buffer): boolean;
}

function hasWrite(value: unknown): value is WsSocketInternals {
  return typeof value === "object" && value !== null && typeof (value as { write?: unknown }).write === "function";
}

function hasState(value: unknown): value is WsSenderInternals {
  return typeof value === "object" && value !== null && typeof (value as { _state?: unknown })._state === "number";
}

/** The fast-path writer of a server-side `ws` connection, or null when ws's internals are not as expected. */
export function rawFrameWriter(ws: WebSocket): RawFrameWriter | null {
  const internals = ws as unknown as { _socket?: unknown; _sender?: unknown };
  const socket = internals._socket;
  const sender = internals._sender;
  if (!hasWrite(socket) || !hasState(sender)) return null;
  return {
    write(frame: Buffer): boolean {
      if (sender._state !== 0) return false;
      socket.write(frame);
      return true;
    },
  };
}
