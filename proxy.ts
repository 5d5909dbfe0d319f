// Runs before every page (not the API, not static files): gives the answer a fresh nonce and the
// Content-Security-Policy that allows only scripts carrying it (lib/http/content-security-policy.ts).
// Next reads the policy from the request headers set here and puts the nonce on its own scripts; the
// root layout reads `x-nonce` for the one inline script of ours.
import { NextResponse, type NextRequest } from "next/server";
import { getServerEnv } from "@/lib/env";
import { NONCE_HEADER, newScriptNonce, pageContentSecurityPolicy } from "@/lib/http/content-security-policy";

export function proxy(request: NextRequest): NextResponse {
  const nonce = newScriptNonce();
  const policy = pageContentSecurityPolicy({ nonce, relayPublicUrl: getServerEnv().RELAY_PUBLIC_URL, development: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set(NONCE_HEADER, nonce);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // API answers and build assets keep next.config.js's fixed policy.
  matcher: ["/((?!api/|v1/|_next/static/|_next/image|favicon.ico|icon.svg).*)"],
};
