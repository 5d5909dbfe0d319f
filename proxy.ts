// Runs before every page (not the API, not static files): gives the answer a fresh nonce and the
// Content-Security-Policy that allows only scripts carrying it (lib/http/content-security-policy.ts).
// Next reads the policy from the request headers set here and puts the nonce on its own scripts; the
// root layout reads `x-nonce` for the one inline script of ours. It also passes on the path asked for, so a
// signed-out visitor comes back to it after signing in.
import { NextResponse, type NextRequest } from "next/server";
import { PAGE_PATH_HEADER } from "@/lib/auth/safe-callback";
import { getServerEnv } from "@/lib/env";
import { NONCE_HEADER, newScriptNonce, pageContentSecurityPolicy } from "@/lib/http/content-security-policy";

/** The page's path and query, without the router's own `_rsc` cache-buster of a client navigation. */
function pagePathOf(request: NextRequest): string {
  const url = request.nextUrl.clone();
  url.searchParams.delete("_rsc");
  return `${url.pathname}${url.search}`;
}

export function proxy(request: NextRequest): NextResponse {
  const nonce = newScriptNonce();
  const env = getServerEnv();
  const policy = pageContentSecurityPolicy({
    nonce,
    relayPublicUrl: env.RELAY_PUBLIC_URL,
    development: process.env.NODE_ENV === "development",
    stripe: env.STRIPE_PUBLISHABLE_KEY !== undefined,
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set(NONCE_HEADER, nonce);
  // Where a signed-out visitor returns after signing in (requirePageUser); always ours, never the client's.
  requestHeaders.set(PAGE_PATH_HEADER, pagePathOf(request));
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // API answers and build assets keep next.config.js's fixed policy.
  matcher: ["/((?!api/|v1/|_next/static/|_next/image|favicon.ico|icon.svg).*)"],
};
