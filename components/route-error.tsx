"use client";
import Link from "next/link";

/** What a dashboard or admin page shows when it failed to render: what happened and two ways on. */
export function RouteError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="error-state" role="alert">
      <div>
        <p>
          <strong>This page could not be shown.</strong>
        </p>
        <p className="muted small">
          {error.digest ? `Reference ${error.digest}. ` : ""}Try again, or go back to your apps.
        </p>
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={reset}>
          Try again
        </button>
        <Link href="/apps">Your apps</Link>
      </div>
    </div>
  );
}
