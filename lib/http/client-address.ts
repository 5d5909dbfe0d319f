// The address a request came from, by the relay's rule (TRUSTED_PROXIES): the socket peer, or — only
// when that peer is a trusted proxy — the right-most X-Forwarded-For hop that is not a trusted proxy.
// Next's route handlers cannot see the socket, so the web server (server/web-server.ts) writes the
// peer into PEER_ADDRESS_HEADER on every request, replacing whatever a client sent under that name.
import { clientIp, parseTrustedProxies, rateLimitSubject } from "@tollgate/relay/enforcement/ip-limiter";
import { getServerEnv } from "@/lib/env";

export const PEER_ADDRESS_HEADER = "x-tollgate-peer-address";

let trusted: { list: string; set: ReadonlySet<string> } | undefined;

function trustedProxies(): ReadonlySet<string> {
  const list = getServerEnv().TRUSTED_PROXIES;
  if (trusted?.list !== list) trusted = { list, set: parseTrustedProxies(list) };
  return trusted.set;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** "unknown" when the app runs without its web server (every such client then shares one bucket). */
export function clientAddress(headers: HeaderSource | undefined): string {
  if (!headers) return "unknown";
  return clientIp(header(headers, PEER_ADDRESS_HEADER), header(headers, "x-forwarded-for"), trustedProxies());
}

/** What per-address limits count a request under: its client address, or for IPv6 that address's /64. */
export function clientLimitKey(headers: HeaderSource | undefined): string {
  return rateLimitSubject(clientAddress(headers));
}
