// Keepalive (PROTOCOL §1): a WebSocket ping to every connection each interval; a socket that has not
// answered its ping within the pong timeout is terminated (its close frees its lease).
import type { LocalHub } from "./hub";
import type { Logger } from "./log";

export function pingSweep(hub: LocalHub, pongTimeoutMs: number, logger: Logger): void {
  const nowMs = Date.now();
  for (const connection of hub.eachConnection()) {
    if (connection.awaitingPongSinceMs === null) {
      connection.awaitingPongSinceMs = nowMs;
      connection.ws.ping();
    }
  }
  const check = setTimeout(() => {
    const deadline = Date.now() - pongTimeoutMs;
    for (const connection of hub.eachConnection()) {
      if (connection.awaitingPongSinceMs !== null && connection.awaitingPongSinceMs <= deadline) {
        logger.info("terminating unresponsive socket", { connectionId: connection.id, appId: connection.appId });
        connection.ws.terminate();
      }
    }
  }, pongTimeoutMs);
  check.unref();
}
