"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useApp, useKeys } from "@/components/apps/queries";
import { browserSnippet, curlSnippet, nodeSnippet, websocketUrl, type SnippetContext } from "@/components/apps/connect-snippets";
import { CopyButton } from "@/components/ui/copy-button";
import { ErrorState } from "@/components/ui/error-state";
import { SkeletonBlock } from "@/components/ui/skeleton";

export function ConnectSnippet({ appId }: { appId: string }) {
  const app = useApp(appId);
  const keys = useKeys(appId);
  const [keyId, setKeyId] = useState<string | null>(null);
  const [webUrl, setWebUrl] = useState<string | null>(null);

  // The REST base URL is wherever this dashboard is served from; only known in the browser.
  useEffect(() => setWebUrl(window.location.origin), []);

  if (app.isPending || keys.isPending || webUrl === null) return <SkeletonBlock rows={6} label="Loading connect snippet" />;
  if (app.isError) return <ErrorState error={app.error} onRetry={() => void app.refetch()} />;
  if (keys.isError) return <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />;

  const usable = keys.data.keys.filter((key) => key.status === "active" || key.status === "expiring");
  const chosen = usable.find((key) => key.id === keyId) ?? usable.find((key) => key.kind === "publishable") ?? usable[0];
  const secretKeyId = (chosen?.kind === "secret" ? chosen : usable.find((key) => key.kind === "secret"))?.id ?? null;

  return (
    <section className="stack" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect a client</h2>
      <p>
        Clients connect to the relay at <code data-testid="relay-url">{app.data.relayUrl}</code> with the{" "}
        <a href="https://www.npmjs.com/package/@metered-ca/realtime">@metered-ca/realtime</a> SDK, which adds the <code>/v1</code> path and the credential.
      </p>
      <p className="muted small">
        Reference: <Link href="/docs">protocol and API docs</Link> · <a href={`${webUrl}/v1/openapi.json`}>OpenAPI document</a> (<code>{webUrl}/v1/openapi.json</code>)
      </p>
      {!chosen ? (
        <div className="empty">
          <p>This app has no active keys yet.</p>
          <Link href={`/apps/${appId}/keys`}>Create a key first</Link>
        </div>
      ) : (
        <ConnectBody context={{ relayUrl: app.data.relayUrl, webUrl, key: chosen, secretKeyId }} usable={usable} onChoose={setKeyId} />
      )}
    </section>
  );
}

function ConnectBody({ context, usable, onChoose }: { context: SnippetContext; usable: SnippetContext["key"][]; onChoose(keyId: string): void }) {
  const { key } = context;
  const endpoint = websocketUrl(context.relayUrl, key);
  return (
    <>
      <label className="field narrow">
        Key
        <select value={key.id} onChange={(event) => onChoose(event.target.value)}>
          {usable.map((option) => (
            <option key={option.id} value={option.id}>
              {option.name} ({option.kind})
            </option>
          ))}
        </select>
      </label>
      <div className="card endpoint">
        <span className="muted small">WebSocket endpoint</span>
        <span className="id-cell">
          <code data-testid="websocket-url">{endpoint}</code>
          {key.kind === "publishable" && <CopyButton text={endpoint} label="WebSocket URL" />}
        </span>
      </div>
      <div className="snippet-grid">
        <SnippetBlock
          name="Node"
          title={key.kind === "publishable" ? "Node, publishable key" : "Node, secret key (tokens minted by your backend)"}
          code={nodeSnippet(context)}
          testId="connect-snippet"
        />
        <SnippetBlock name="Browser" title="Browser" code={browserSnippet(context)} testId="browser-snippet" />
      </div>
      <SnippetBlock name="curl" title={`curl: REST publish and token mint${context.secretKeyId ? "" : " (needs a secret key)"}`} code={curlSnippet(context)} testId="curl-snippet" />
    </>
  );
}

/** `name` is the short accessible name ("Node snippet"), kept apart from the title so it never reads "key". */
function SnippetBlock({ name, title, code, testId }: { name: string; title: string; code: string; testId: string }) {
  return (
    <figure className="card snippet">
      <figcaption>
        <span>{title}</span>
        <CopyButton text={code} label={`${name} snippet`} />
      </figcaption>
      <pre tabIndex={0} aria-label={`${name} snippet`}>
        <code data-testid={testId}>{code}</code>
      </pre>
    </figure>
  );
}
