"use client";
import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useApp, useKeys } from "@/components/apps/queries";
import { useConsoleSockets, type ConsoleFrame } from "@/components/apps/use-console-sockets";
import { Field } from "@/components/ui/field";

const DEFAULT_CHANNEL = "console/test";

/** "Send a test message": subscribe to a channel, publish to it, and watch the frames go by, live. */
export function TestConsole({ appId }: { appId: string }) {
  const app = useApp(appId);
  const keys = useKeys(appId);
  const sockets = useConsoleSockets();
  const [channel, setChannel] = useState(DEFAULT_CHANNEL);
  const [message, setMessage] = useState('{ "hello": "world" }');
  const [counter, setCounter] = useState(0);

  // Only a publishable key: its id is already public, so no secret ever reaches the browser.
  const key = keys.data?.keys.find((candidate) => candidate.kind === "publishable" && (candidate.status === "active" || candidate.status === "expiring"));
  const live = sockets.status === "connected" || sockets.status === "connecting";

  function onConnect(event: FormEvent) {
    event.preventDefault();
    if (!app.data || !key) return;
    if (live) return sockets.disconnect();
    sockets.connect({ relayUrl: app.data.relayUrl, publishableKey: key.id, channel: channel.trim() || DEFAULT_CHANNEL });
  }

  function onPublish(event: FormEvent) {
    event.preventDefault();
    let data: unknown = message;
    try {
      data = JSON.parse(message);
    } catch {
      // Not JSON: sent as a plain string, which the protocol allows as well.
    }
    setCounter((value) => value + 1);
    sockets.send("publisher", { type: "publish", channel: channel.trim() || DEFAULT_CHANNEL, data, requestId: `console-publish-${counter + 1}` });
  }

  return (
    <section className="card stack" id="test-console" aria-labelledby="console-heading">
      <div className="section-header">
        <h2 id="console-heading">Test console</h2>
        <span className={`badge console-${sockets.status}`} data-testid="console-status">
          {sockets.status}
        </span>
      </div>
      {!key ? (
        <p className="muted">
          The console connects with a publishable key. <Link href={`/apps/${appId}/keys`}>Create a publishable key</Link> to try it.
        </p>
      ) : (
        <>
          <p className="muted small">
            Opens two connections with “{key.name}” (<code>{key.id}</code>): one subscribes, the other publishes. They count towards the app&apos;s usage like any client.
          </p>
          <form className="inline-form" onSubmit={onConnect} aria-label="Console connection">
            <Field label="Channel">
              <input value={channel} onChange={(event) => setChannel(event.target.value)} disabled={live} maxLength={256} />
            </Field>
            <button type="submit" className={live ? undefined : "primary"}>
              {live ? "Disconnect" : "Connect"}
            </button>
          </form>
          <form className="inline-form" onSubmit={onPublish} aria-label="Publish a test message">
            <Field label="Message (JSON or text)">
              <input value={message} onChange={(event) => setMessage(event.target.value)} />
            </Field>
            <button type="submit" className="primary" disabled={sockets.status !== "connected"}>
              Publish
            </button>
          </form>
          <FrameLog frames={sockets.frames} />
        </>
      )}
    </section>
  );
}

const directionLabel: Record<ConsoleFrame["direction"], string> = { sent: "→", received: "←", event: "•" };

function FrameLog({ frames }: { frames: ConsoleFrame[] }) {
  const list = useRef<HTMLOListElement>(null);
  // Follow the newest frame, as a terminal does. A block body: newer browsers' scrollTo returns a promise,
  // which React would take for a cleanup function.
  useEffect(() => {
    void list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [frames]);
  if (frames.length === 0) return <p className="muted small">Frames appear here once you connect.</p>;
  return (
    <ol className="frame-log" aria-label="Frames" aria-live="polite" ref={list} tabIndex={0}>
      {frames.map((frame) => (
        <li key={frame.id} data-direction={frame.direction} data-role={frame.role}>
          <span className="muted">{new Date(frame.atMs).toLocaleTimeString("en-GB", { hour12: false })}</span>
          <span className="frame-role">
            {frame.role} {directionLabel[frame.direction]}
          </span>
          <code>{frame.text}</code>
        </li>
      ))}
    </ol>
  );
}
