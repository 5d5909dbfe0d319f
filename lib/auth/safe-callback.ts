// Where to go after signing in: only ever a path on this site. A `callbackUrl` is attacker-chosen (it
// arrives in a link), so anything that could leave the origin — an absolute URL, a protocol-relative
// `//host`, a backslash that browsers read as a slash (`/\host`), a control character that URL parsing
// drops (`/\t/host`) — falls back to the default. Used by the sign-in form and next-auth's redirect
// callback. No Next.js imports: the client bundle uses it too.

export const DEFAULT_AFTER_SIGN_IN = "/apps";
const PROBE_ORIGIN = "http://same-origin.invalid";

export function safeCallbackPath(raw: string | null | undefined, fallback: string = DEFAULT_AFTER_SIGN_IN): string {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(raw, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (resolved.origin !== PROBE_ORIGIN) return fallback;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

/** next-auth's redirect callback: relative paths and our own absolute URLs stay, anything else goes home. */
export function safeRedirectUrl(url: string, baseUrl: string): string {
  const base = new URL(baseUrl);
  let path: string | null = url;
  if (!url.startsWith("/")) {
    try {
      const absolute = new URL(url);
      path = absolute.origin === base.origin ? `${absolute.pathname}${absolute.search}${absolute.hash}` : null;
    } catch {
      path = null;
    }
  }
  return new URL(safeCallbackPath(path, "/"), base).toString();
}

/** Set by proxy.ts on every page request (never taken from the client): the path and query asked for. */
export const PAGE_PATH_HEADER = "x-tollgate-page-path";

/** The sign-in page for a signed-out visitor of `requestedPath`, coming back there once signed in. */
export function signInPathFor(requestedPath: string | null | undefined): string {
  const back = safeCallbackPath(requestedPath, DEFAULT_AFTER_SIGN_IN);
  return back === DEFAULT_AFTER_SIGN_IN || back === "/" ? "/sign-in" : `/sign-in?callbackUrl=${encodeURIComponent(back)}`;
}
