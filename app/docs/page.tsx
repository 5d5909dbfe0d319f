import { CLOSE_REASONS, ErrorCode, FrameBudgetRules, HistoryLimits, Limits, PlanDefaults } from "@tollgate/relay/protocol";
import Link from "next/link";
import { ThemeToggle } from "@/components/theme/theme-toggle";
import { buildOpenApiDocument } from "@/lib/v1/openapi";

export const metadata = { title: "Docs" };

interface Operation {
  summary?: string;
}

/** A public quick reference, generated from the same sources as the relay and the OpenAPI document. */
export default function DocsPage() {
  const paths = Object.entries(buildOpenApiDocument("").paths as Record<string, Record<string, Operation>>);
  return (
    <main className="content stack docs" id="main">
      <div className="page-header">
        <h1>Tollgate docs</h1>
        <span className="actions">
          <Link href="/apps">Dashboard</Link>
          <ThemeToggle />
        </span>
      </div>
      <section className="card stack" aria-labelledby="connect-docs">
        <h2 id="connect-docs">Connecting</h2>
        <p>
          Clients open a WebSocket to the relay&apos;s <code>/v1</code> path with exactly one credential: <code>?key=pk_live_…</code> (a publishable key, for
          browsers) or <code>?token=&lt;JWT&gt;</code> (minted by your backend with a secret key through <code>POST /v1/tokens</code>). The{" "}
          <a href="https://www.npmjs.com/package/@metered-ca/realtime">@metered-ca/realtime</a> SDK does this for you. Frames are JSON: <code>subscribe</code>,{" "}
          <code>unsubscribe</code>, <code>publish</code>, <code>send</code>, <code>ping</code>.
        </p>
        <p className="muted small">
          Limits: frames up to {Limits.maxInboundFrameBytes / 1024} KiB, {Limits.maxSubscriptionsPerConnection} subscriptions per connection, {Limits.maxKeysPerApp} keys per app.
        </p>
      </section>
      <section className="card stack" aria-labelledby="history-docs">
        <h2 id="history-docs">Channel history and recovery</h2>
        <p>
          When your plan keeps history (up to {HistoryLimits.maxSize.toLocaleString("en-US")} messages per channel, for a set time), every <code>message</code>{" "}
          frame carries an <code>offset</code> (1, 2, 3… per channel) and the stream&apos;s <code>epoch</code>. After a reconnect, subscribe with{" "}
          <code>{'"since": {"offset", "epoch"}'}</code> from the last message you saw: the messages you missed arrive in order before the <code>ack</code>, which says{" "}
          <code>recovered: true</code>, or <code>false</code> when the history no longer reaches back that far or the stream was lost (a new epoch).{" "}
          <code>{'"rewind": N'}</code> replays the newest N messages instead. Both need an exact channel name (a wildcard is refused <code>history_not_supported</code>).
          Replays count as deliveries, not as messages against your quota; a connection may be replayed{" "}
          {HistoryLimits.replayBurstMessages.toLocaleString("en-US")} messages at once, then {HistoryLimits.replayMessagesPerSecond} a second (past it the replay
          stops with <code>recovered: false</code>). Servers read it with <code>GET /v1/channels/:channel/history</code>.
        </p>
      </section>
      <section className="card stack" aria-labelledby="fair-share-docs">
        <h2 id="fair-share-docs">Sharing a relay fairly</h2>
        <p>
          A relay serves many apps at once, so every frame a connection sends has a price. <code>publish</code> and <code>send</code> take a token from the
          message bucket ({PlanDefaults.tokenBucketRefillPerSecond}/s, burst {PlanDefaults.tokenBucketBurst} by default; empty: close 4011). Every other frame
          (<code>ping</code>, <code>subscribe</code>, <code>unsubscribe</code>, and malformed or unknown ones) takes a token from the control bucket
          ({PlanDefaults.controlFrameRefillPerSecond}/s, burst {PlanDefaults.controlFrameBurst}), and every frame pays its size from a budget of{" "}
          {PlanDefaults.inboundBytesPerSecond / (1024 * 1024)} MiB/s. Past a budget the frame is dropped with the error <code>rate_limited</code> and the connection
          stays; a client that keeps sending regardless ({FrameBudgetRules.floodRefusalsPerBurst}× the burst refused within {FrameBudgetRules.floodWindowMs / 1000} s)
          is closed with 4011. One peer may hold {Limits.maxConnectionsPerPeer} connections on a relay node. None of this counts against your message quota; your
          plan sets the rates.
        </p>
      </section>
      <section className="card stack" aria-labelledby="channel-limits-docs">
        <h2 id="channel-limits-docs">Channel limits</h2>
        <p>
          A plan may cap the distinct peers one channel holds (<code>maxPeersPerChannel</code>) and the channels with at least one subscriber an app has (
          <code>maxActiveChannels</code>); neither is set by default. Both count across every relay node. A <code>subscribe</code> past the first is refused
          with the error <code>{ErrorCode.ChannelFull}</code>, past the second with <code>{ErrorCode.ChannelQuotaExceeded}</code> (
          <code>Active channel limit exceeded: limit 10 (active: 10)</code>); the connection stays open. A peer with several connections counts once, and
          wildcard subscriptions occupy no channel. <code>GET /v1/usage</code> shows <code>activeChannels</code> against the limit.
        </p>
      </section>
      <section className="card stack" aria-labelledby="rest-docs">
        <h2 id="rest-docs">REST API</h2>
        <p>
          Authenticate with <code>Authorization: Bearer sk_id_…:sk_secret_…</code>. The full schema is the <a href="/v1/openapi.json">OpenAPI document</a>.
        </p>
        <p>
          A page can show its own usage: <code>GET /v1/usage</code> also accepts a token your backend minted with <code>permissions</code> including{" "}
          <code>usage</code> (from a secret key created with the <code>usage</code> action), as <code>Authorization: Bearer &lt;JWT&gt;</code> or{" "}
          <code>?token=</code>. Any origin may call it; the answer is <code>{"{tenantId, appId, usage: {connections, channels, messages}, timestamp}"}</code>, each
          axis with <code>current</code>, <code>limit</code>, <code>percent</code> and a <code>status</code> (healthy, warning from 75 %, critical from 90 %).
        </p>
        <div className="table-wrap">
          <table className="table responsive" aria-label="REST endpoints">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">What it does</th>
              </tr>
            </thead>
            <tbody>
              {paths.flatMap(([path, operations]) =>
                Object.entries(operations).map(([method, operation]) => (
                  <tr key={`${method} ${path}`}>
                    <td data-label="Endpoint">
                      <code className="nowrap">
                        {method.toUpperCase()} {path}
                      </code>
                    </td>
                    <td data-label="What it does">{operation.summary}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card stack" aria-labelledby="codes-docs">
        <h2 id="codes-docs">Close codes</h2>
        <div className="table-wrap">
          <table className="table compact" aria-label="Close codes">
            <tbody>
              {Object.entries(CLOSE_REASONS).map(([code, reason]) => (
                <tr key={code}>
                  <td className="nowrap">
                    <code>{code}</code>
                  </td>
                  <td>{reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>Error frames (the connection stays open)</h3>
        <p>
          {Object.values(ErrorCode).map((code, index) => (
            <span key={code}>
              {index > 0 && " · "}
              <code>{code}</code>
            </span>
          ))}
        </p>
      </section>
    </main>
  );
}
