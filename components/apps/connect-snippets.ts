// The code shown on the Connect page, built from the app's relay URL, the dashboard's origin and a key.
// Each snippet runs unchanged once pasted (the Node ones are run by the e2e suite).
import type { Key } from "@/components/api-types";

export interface SnippetContext {
  relayUrl: string;
  webUrl: string;
  key: Key;
  /** A secret key id for the REST examples, when the app has one. */
  secretKeyId: string | null;
}

/** The WebSocket endpoint a client connects to, with the credential in the query string (PROTOCOL §1). */
export function websocketUrl(relayUrl: string, key: Key): string {
  const base = `${relayUrl.replace(/\/+$/, "")}/v1`;
  return key.kind === "publishable" ? `${base}?key=${key.id}` : `${base}?token=<JWT minted with ${key.id}>`;
}

export function nodeSnippet({ relayUrl, webUrl, key }: SnippetContext): string {
  if (key.kind === "publishable") {
    return `// npm install @metered-ca/realtime ws   (save as connect.mjs, run: node connect.mjs)
import { SignallingClient } from "@metered-ca/realtime";
import WebSocket from "ws";

const client = new SignallingClient({
  url: "${relayUrl}",
  apiKey: "${key.id}",
  // Browsers have WebSocket built in; on Node pass one from the ws package.
  webSocketFactory: (url) => new WebSocket(url),
});

client.on("message", ({ channel, from, data }) => console.log(channel, from, data));
client.on("disconnected", ({ code, reason }) => console.log("closed", code, reason));

await client.connect();
await client.subscribe("room/lobby");
await client.publish("room/lobby", { hello: "world" });
console.log("connected; press Ctrl-C to stop");
`;
  }
  return `// npm install @metered-ca/realtime ws   (save as connect.mjs)
// Run: TOLLGATE_SECRET=sk_secret_… node connect.mjs   (the secret shown once when the key was created)
import { SignallingClient } from "@metered-ca/realtime";
import WebSocket from "ws";

const keyId = "${key.id}";

// Your backend mints a short-lived token per user with the secret key; never ship the secret to browsers.
async function mintToken() {
  const response = await fetch("${webUrl}/v1/tokens", {
    method: "POST",
    headers: {
      authorization: \`Bearer \${keyId}:\${process.env.TOLLGATE_SECRET}\`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ peerId: "user-123", expiresInSec: 3600 }),
  });
  if (!response.ok) throw new Error(\`token request failed: \${response.status}\`);
  return (await response.json()).token;
}

const client = new SignallingClient({
  url: "${relayUrl}",
  tokenProvider: mintToken,
  webSocketFactory: (url) => new WebSocket(url),
});

client.on("message", ({ channel, from, data }) => console.log(channel, from, data));
client.on("disconnected", ({ code, reason }) => console.log("closed", code, reason));

await client.connect();
await client.subscribe("room/lobby");
await client.publish("room/lobby", { hello: "world" });
console.log("connected; press Ctrl-C to stop");
`;
}

export function browserSnippet({ relayUrl, key }: SnippetContext): string {
  const credential =
    key.kind === "publishable"
      ? `  apiKey: "${key.id}",`
      : `  // The secret stays on your server: the browser asks your backend for a token minted with ${key.id}.
  tokenProvider: async () => (await (await fetch("/your-backend/realtime-token")).json()).token,`;
  return `// npm install @metered-ca/realtime   (in your bundled front-end code)
import { SignallingClient } from "@metered-ca/realtime";

const client = new SignallingClient({
  url: "${relayUrl}",
${credential}
});

client.on("message", ({ channel, from, data }) => console.log(channel, from, data));

await client.connect();
await client.subscribe("room/lobby");
await client.publish("room/lobby", { hello: "from the browser" });
`;
}

export function curlSnippet({ webUrl, secretKeyId }: SnippetContext): string {
  const keyId = secretKeyId ?? "sk_id_…";
  return `# REST calls take a secret key: Authorization: Bearer <key id>:<signing secret>
export TOLLGATE_KEY="${keyId}:$TOLLGATE_SECRET"

# Publish to a channel (channel names are URL-encoded: room/lobby → room%2Flobby)
curl -X POST "${webUrl}/v1/channels/room%2Flobby/publish" \\
  -H "authorization: Bearer $TOLLGATE_KEY" -H "content-type: application/json" \\
  -d '{"data": {"hello": "world"}}'

# Mint a connection token for one user (valid 1 hour)
curl -X POST "${webUrl}/v1/tokens" \\
  -H "authorization: Bearer $TOLLGATE_KEY" -H "content-type: application/json" \\
  -d '{"peerId": "user-123", "expiresInSec": 3600}'
`;
}
