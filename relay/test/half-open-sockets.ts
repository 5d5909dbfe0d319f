// A child process of socket-flood.test.ts: opens `perAddress` connections from each of the given
// loopback addresses to the relay, sends the start of an upgrade request on each and then nothing, and
// holds them until the parent says "stop" (or its hold time ends). A child of its own, because one
// process cannot hold all of the flood's sockets within its open-file limit.
// Usage (with an IPC channel): node --import tsx half-open-sockets.ts <port> <addresses,…> <perAddress> <holdMs>
import { connect } from "node:net";
import type { Socket } from "node:net";

/** Connects in flight at once: enough to be quick, few enough not to overflow the relay's listen backlog. */
const CONNECTS_IN_FLIGHT = 256;
/** A connect the relay does not take up within this long counts as failed (its SYN may sit in a full backlog). */
const CONNECT_TIMEOUT_MS = 2_000;
const PARTIAL_REQUEST = "GET /v1?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n";

export interface FloodReport {
  type: "opened";
  /** Connections the relay accepted. */
  opened: number;
  /** Connections that could not be made. */
  failed: number;
}

const [portArg, addressesArg, perAddressArg, holdMsArg] = process.argv.slice(2);
const port = Number(portArg);
const addresses = (addressesArg ?? "").split(",");
const perAddress = Number(perAddressArg);
const holdMs = Number(holdMsArg);
const sockets = new Set<Socket>();

function openOne(localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const timeout = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
    const socket = connect({ port, host: "127.0.0.1", localAddress }, () => {
      clearTimeout(timeout);
      socket.write(PARTIAL_REQUEST);
      resolve(true);
    });
    sockets.add(socket);
    // The relay may close these sockets at any time: that is what it is being tested for.
    socket.on("error", () => resolve(false));
    socket.once("close", () => {
      sockets.delete(socket);
      resolve(false);
    });
  });
}

function stop(): void {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}

async function flood(): Promise<void> {
  const targets = addresses.flatMap((address) => Array.from({ length: perAddress }, () => address));
  let opened = 0;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const address = targets[next++];
      if (address !== undefined && (await openOne(address))) opened += 1;
    }
  };
  await Promise.all(Array.from({ length: CONNECTS_IN_FLIGHT }, worker));
  const report: FloodReport = { type: "opened", opened, failed: targets.length - opened };
  process.send?.(report);
}

process.on("message", (message) => {
  if (message === "stop") stop();
});
process.on("disconnect", stop);
setTimeout(stop, holdMs);
void flood();
