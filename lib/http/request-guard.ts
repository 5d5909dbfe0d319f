// Checks every cookie-authenticated request passes before its handler runs (docs/security.md):
// - cross-site requests are refused (403 cross_site_request): a foreign `Origin`, or a browser's
//   `Sec-Fetch-Site` other than same-origin / none. The browser attaches the session cookie to any
//   request to us, so only these headers, which a page cannot forge, tell our pages from another site's.
// - a state-changing request with a body must send `application/json` (415 unsupported_media_type): an
//   HTML form or a no-cors fetch can only send form or text bodies, never JSON without a CORS preflight,
//   which this app never grants.
// - route params must be text that can be stored (no NUL, no lone surrogate), else 4xx naming the param.
import type { NextRequest } from "next/server";
import { DomainError } from "@/lib/errors";
import { textProblem } from "@/lib/validation/text";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** host[:port] the request was addressed to, as the browser sent it. */
function requestHost(req: NextRequest): string {
  return (req.headers.get("host") ?? req.nextUrl.host).toLowerCase();
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * null when the request comes from one of our own pages (or from no browser at all), else why not.
 * `configuredOrigin` is NEXTAUTH_URL's origin: behind a proxy that rewrites Host it is the only origin
 * the browser shows.
 */
export function crossSiteProblem(req: NextRequest, configuredOrigin?: string): string | null {
  const fetchSite = req.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") return `Sec-Fetch-Site: ${fetchSite}`;
  const origin = req.headers.get("origin");
  if (origin === null) return null;
  const host = originHost(origin);
  const own = new Set([requestHost(req)]);
  if (configuredOrigin) {
    const configured = originHost(configuredOrigin);
    if (configured) own.add(configured);
  }
  if (host !== null && own.has(host)) return null;
  return `Origin: ${origin}`;
}

/**
 * By the HTTP/1.1 framing rule a request has a body only with a Content-Length above 0 or a
 * Transfer-Encoding (Next hands every DELETE a body stream, even an empty one, so req.body cannot tell).
 */
function hasBody(req: NextRequest): boolean {
  const length = req.headers.get("content-length");
  if (length !== null) return Number(length) > 0;
  return req.headers.has("transfer-encoding");
}

function isJsonContentType(contentType: string | null): boolean {
  const essence = contentType?.split(";")[0]?.trim().toLowerCase();
  return essence === "application/json";
}

/** Throws the 403 / 415 of the rules above; safe methods only get the cross-site check. */
export function assertSameSiteJson(req: NextRequest, configuredOrigin?: string): void {
  const crossSite = crossSiteProblem(req, configuredOrigin);
  if (crossSite) throw new DomainError("cross_site_request", `Cross-site request refused (${crossSite})`);
  if (!isStateChanging(req.method)) return;
  const contentType = req.headers.get("content-type");
  if ((contentType !== null || hasBody(req)) && !isJsonContentType(contentType)) {
    throw new DomainError("unsupported_media_type", "Send the request body as application/json");
  }
}

/** Route params are decoded by Next; refuse the ones no column or relay name could hold. */
export function assertParamsAreText(params: unknown): void {
  if (typeof params !== "object" || params === null) return;
  for (const [name, value] of Object.entries(params)) {
    for (const part of Array.isArray(value) ? value : [value]) {
      const problem = typeof part === "string" ? textProblem(part) : null;
      if (problem) throw new DomainError("unprocessable", `${name}: ${problem}`, { field: name });
    }
  }
}
