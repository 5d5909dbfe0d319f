// Real SDK clients (@metered-ca/realtime's SignallingClient over ws) running in the Playwright Node process,
// recording how each connection ends so specs can assert on relay close codes.
import { SignallingClient } from "@metered-ca/realtime";
import { expect } from "@playwright/test";
import { CloseCode } from "@tollgate/relay/protocol";
import WebSocket from "ws";

export interface SdkClient {
  client: SignallingClient;
  /** Close codes seen, in order. */
  closeCodes: number[];
  /** Resolves true on the welcome frame, false if the connection closed first. */
  connected: Promise<boolean>;
  close(): Promise<void>;
}

/** Starts one client with a publishable key; reconnects are off so a refusal stays visible. */
export function startClient(relayUrl: string, apiKey: string): SdkClient {
  const client = new SignallingClient({
    url: relayUrl,
    apiKey,
    reconnect: false,
    webSocketFactory: (url) => new WebSocket(url),
  });
  const closeCodes: number[] = [];
  const connected = new Promise<boolean>((resolve) => {
    client.once("connected", () => resolve(true));
    client.on("disconnected", ({ code }) => {
      closeCodes.push(code);
      resolve(false);
    });
  });
  // connect() rejects when the relay refuses; the outcome is read from `connected` and `closeCodes` instead.
  client.connect().catch(() => undefined);
  return {
    client,
    closeCodes,
    connected,
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}

/** Opens a fresh client (kept in `clients` for cleanup) and reports how the relay answered: "connected" or the close code. */
export async function tryConnect(relayUrl: string, apiKey: string, clients: SdkClient[]): Promise<string> {
  const sdk = startClient(relayUrl, apiKey);
  clients.push(sdk);
  if (await sdk.connected) return "connected";
  return String(sdk.closeCodes[0]);
}

/**
 * Waits until a new client is refused with 4010 once a lowered limit reaches the relay; a client admitted
 * before that (under the old limit) is closed again so it does not hold a slot.
 */
export async function expectRefusedOverLimit(relayUrl: string, apiKey: string, clients: SdkClient[], timeoutMs: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const outcome = await tryConnect(relayUrl, apiKey, clients);
        if (outcome === "connected") await clients.pop()?.close();
        return outcome;
      },
      { timeout: timeoutMs, intervals: [250] },
    )
    .toBe(String(CloseCode.OverConcurrentLimit));
}

/** Starts `count` clients one after another, each waiting for its outcome, so admission order is known. */
export async function startClients(relayUrl: string, apiKey: string, count: number): Promise<SdkClient[]> {
  const clients: SdkClient[] = [];
  for (let index = 0; index < count; index += 1) {
    const sdk = startClient(relayUrl, apiKey);
    await sdk.connected;
    clients.push(sdk);
  }
  return clients;
}

/** Resolves with the first close code, or null if the socket stays open for `timeoutMs`. */
export function waitForClose(sdk: SdkClient, timeoutMs: number): Promise<number | null> {
  if (sdk.closeCodes.length > 0) return Promise.resolve(sdk.closeCodes[0] ?? null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    sdk.client.once("disconnected", ({ code }) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export async function closeAll(clients: SdkClient[]): Promise<void> {
  await Promise.all(clients.map((sdk) => sdk.close()));
}
