import { getServerEnv } from "@/lib/env";
import { createRelayClient, type RelayClient } from "./relay-client";

let client: RelayClient | undefined;

/** The relay client configured from RELAY_INTERNAL_URL and RELAY_SECRET. */
export function getRelayClient(): RelayClient {
  if (!client) {
    const env = getServerEnv();
    client = createRelayClient({ baseUrl: env.RELAY_INTERNAL_URL, relaySecret: env.RELAY_SECRET });
  }
  return client;
}
