// Real SDK clients (@metered-ca/realtime's SignallingClient over ws) running in the Playwright Node process,
// recording how each connection ends so specs can assert on relay close codes.
import { SignallingClient } from "@metered-ca/realtime";
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

/**
 * Connects one client, retrying while the relay answers 4001: a key created moments ago reaches the relays
 * with their next plan-snapshot refresh, so until then it is an unknown key.
 */
export async function startClientOnceKeyKnown(relayUrl: string, apiKey: string, timeoutMs: number): Promise<SdkClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sdk = startClient(relayUrl, apiKey);
    if (await sdk.connected) return sdk;
    if (sdk.closeCodes[0] !== CloseCode.InvalidToken || Date.now() > deadline) return sdk;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
