// The Content-Security-Policy of every page (docs/security.md). Scripts run only with this answer's
// nonce ('strict-dynamic' lets them load Next's chunks), so an injected <script> or inline handler does
// not run; WebSockets may go only to the relay the dashboard's test console talks to. API answers are
// not documents and keep the fixed policy of next.config.js.
import { randomBytes } from "node:crypto";

/** The request header through which proxy.ts hands the nonce to the page's own inline script. */
export const NONCE_HEADER = "x-nonce";

/** A fresh unguessable script nonce for one answer (a page's, or the printable invoice's). */
export function newScriptNonce(): string {
  return randomBytes(18).toString("base64");
}

export interface PagePolicyOptions {
  /** A fresh unguessable value for this one answer. */
  nonce: string;
  /** RELAY_PUBLIC_URL: where the browser's WebSockets go. */
  relayPublicUrl: string;
  /** `next dev` needs eval for React's debugging aids. */
  development: boolean;
}

/** The relay's origin as a CSP source (`ws://host:port`), or null when the URL is not one. */
function relaySource(relayPublicUrl: string): string | null {
  try {
    const url = new URL(relayPublicUrl);
    return url.protocol === "ws:" || url.protocol === "wss:" ? url.origin : null;
  } catch {
    return null;
  }
}

export function pageContentSecurityPolicy({ nonce, relayPublicUrl, development }: PagePolicyOptions): string {
  const relay = relaySource(relayPublicUrl);
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    // React and the charts set style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${relay ? ` ${relay}` : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
