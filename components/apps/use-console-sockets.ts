"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { closeCodeLabel } from "@/components/apps/close-codes";

export type ConsoleRole = "subscriber" | "publisher";
export interface ConsoleFrame {
  id: number;
  role: ConsoleRole;
  direction: "sent" | "received" | "event";
  text: string;
  atMs: number;
}
export type ConsoleStatus = "idle" | "connecting" | "connected" | "closed";

const MAX_FRAMES = 60;

function frameType(text: string): string | null {
  try {
    const frame: unknown = JSON.parse(text);
    return typeof frame === "object" && frame !== null && "type" in frame && typeof frame.type === "string" ? frame.type : null;
  } catch {
    return null;
  }
}

/**
 * Two relay connections with one publishable key: a subscriber and a publisher (the relay never echoes a
 * publish to its own sender). Every frame either way is logged so the user sees the protocol at work.
 */
export function useConsoleSockets() {
  const sockets = useRef<Partial<Record<ConsoleRole, WebSocket>>>({});
  const nextId = useRef(0);
  const [frames, setFrames] = useState<ConsoleFrame[]>([]);
  const [status, setStatus] = useState<ConsoleStatus>("idle");

  const log = useCallback((role: ConsoleRole, direction: ConsoleFrame["direction"], text: string) => {
    nextId.current += 1;
    const frame = { id: nextId.current, role, direction, text, atMs: Date.now() };
    setFrames((current) => [...current.slice(-(MAX_FRAMES - 1)), frame]);
  }, []);

  const send = useCallback(
    (role: ConsoleRole, frame: Record<string, unknown>) => {
      const socket = sockets.current[role];
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      const text = JSON.stringify(frame);
      socket.send(text);
      log(role, "sent", text);
      return true;
    },
    [log],
  );

  const disconnect = useCallback(() => {
    for (const socket of Object.values(sockets.current)) socket?.close(1000);
    sockets.current = {};
  }, []);

  const connect = useCallback(
    (options: { relayUrl: string; publishableKey: string; channel: string }) => {
      disconnect();
      setFrames([]);
      setStatus("connecting");
      const url = `${options.relayUrl.replace(/\/+$/, "")}/v1?key=${encodeURIComponent(options.publishableKey)}`;
      let welcomed = 0;
      for (const role of ["subscriber", "publisher"] as const) {
        const socket = new WebSocket(url);
        sockets.current[role] = socket;
        socket.onmessage = (event) => {
          const text = String(event.data);
          log(role, "received", text);
          if (frameType(text) !== "welcome") return;
          welcomed += 1;
          if (role === "subscriber") send("subscriber", { type: "subscribe", channel: options.channel, requestId: "console-subscribe" });
          if (welcomed === 2) setStatus("connected");
        };
        socket.onclose = (event) => {
          log(role, "event", `closed: ${closeCodeLabel(event.code)}${event.reason ? ` — ${event.reason}` : ""}`);
          if (sockets.current[role] === socket) delete sockets.current[role];
          setStatus("closed");
        };
        socket.onerror = () => log(role, "event", "could not reach the relay");
      }
    },
    [disconnect, log, send],
  );

  useEffect(() => disconnect, [disconnect]);

  return { frames, status, connect, disconnect, send };
}
