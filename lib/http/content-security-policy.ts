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
  /** Stripe is configured: the billing page loads Stripe.js, whose card fields are frames on Stripe's origins. */
  stripe?: boolean;
}

/** Stripe.js's script and API, and the frames of its card fields and 3-D Secure (Stripe's published CSP list). */
const STRIPE_SOURCES = {
  script: "https://js.stripe.com",
  connect: "https://api.stripe.com",
  frame: "https://js.stripe.com https://hooks.stripe.com",
  img: "https://*.stripe.com",
};

/** The relay's origin as a CSP source (`ws://host:port`), or null when the URL is not one. */
function relaySource(relayPublicUrl: string): string | null {
  try {
    const url = new URL(relayPublicUrl);
    return url.protocol === "ws:" || url.protocol === "wss:" ? url.origin : null;
  } catch {
    return null;
  }
}

export function pageContentSecurityPolicy({ nonce, relayPublicUrl, development, stripe = false }: PagePolicyOptions): string {
  const relay = relaySource(relayPublicUrl);
  const stripeSource = (kind: keyof typeof STRIPE_SOURCES) => (stripe ? ` ${STRIPE_SOURCES[kind]}` : "");
  return [
    "default-src 'self'",
    // Browsers that understand 'strict-dynamic' ignore the host: it is for those that do not.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}${stripeSource("script")}`,
    // React and the charts set style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${stripeSource("img")}`,
    "font-src 'self' data:",
    `connect-src 'self'${relay ? ` ${relay}` : ""}${stripeSource("connect")}`,
    ...(stripe ? [`frame-src ${STRIPE_SOURCES.frame}`] : []),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
