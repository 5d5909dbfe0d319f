"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { Key } from "@/components/api-types";
import { useApp, useKeys } from "@/components/apps/queries";
import { CopyButton } from "@/components/ui/copy-button";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";

function publishableSnippet(relayUrl: string, key: Key): string {
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

function secretSnippet(relayUrl: string, webUrl: string, key: Key): string {
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

export function ConnectSnippet({ appId }: { appId: string }) {
  const app = useApp(appId);
  const keys = useKeys(appId);
  const [keyId, setKeyId] = useState<string | null>(null);
  const [webUrl, setWebUrl] = useState("http://localhost:3000");

  // The REST base URL is wherever this dashboard is served from; only known in the browser.
  useEffect(() => setWebUrl(window.location.origin), []);

  if (app.isPending || keys.isPending) return <SkeletonBlock rows={6} label="Loading connect snippet" />;
  if (app.isError) return <ErrorState error={app.error} onRetry={() => void app.refetch()} />;
  if (keys.isError) return <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />;

  const usable = keys.data.keys.filter((key) => key.status === "active" || key.status === "expiring");
  const chosen = usable.find((key) => key.id === keyId) ?? usable.find((key) => key.kind === "publishable") ?? usable[0];

  return (
    <section className="stack" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect a client</h2>
      <p>
        Clients connect to the relay at <code data-testid="relay-url">{app.data.relayUrl}</code> with the{" "}
        <a href="https://www.npmjs.com/package/@metered-ca/realtime">@metered-ca/realtime</a> SDK.
      </p>
      {!chosen ? (
        <div className="empty">
          <p>This app has no active keys yet.</p>
          <Link href={`/apps/${appId}/keys`}>Create a key first</Link>
        </div>
      ) : (
        <>
          <label className="field narrow">
            Key
            <select value={chosen.id} onChange={(event) => setKeyId(event.target.value)}>
              {usable.map((key) => (
                <option key={key.id} value={key.id}>
                  {key.name} ({key.kind})
                </option>
              ))}
            </select>
          </label>
          <SnippetBlock
            title={chosen.kind === "publishable" ? "Node or browser, publishable key" : "Node, secret key (tokens minted by your backend)"}
            code={chosen.kind === "publishable" ? publishableSnippet(app.data.relayUrl, chosen) : secretSnippet(app.data.relayUrl, webUrl, chosen)}
          />
        </>
      )}
    </section>
  );
}

function SnippetBlock({ title, code }: { title: string; code: string }) {
  return (
    <figure className="card snippet">
      <figcaption>
        <span>{title}</span>
        <CopyButton text={code} label="snippet" />
      </figcaption>
      <pre tabIndex={0} aria-label="Connect snippet">
        <code data-testid="connect-snippet">{code}</code>
      </pre>
    </figure>
  );
}
