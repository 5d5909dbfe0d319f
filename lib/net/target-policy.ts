// Applies the address policy and the operator's allowlist to an outbound request's host: at submission
// (a literal address or a localhost name is refused at once) and at connection time (the name is
// resolved once, every address checked, and the connection pinned to those addresses, so DNS cannot
// answer differently between the check and the connect).
import { promises as dns, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { forbiddenAddressKind, forbiddenAddressLabel, hostOfUrl, isLocalhostName } from "./address-policy";
import { ALLOWED_TARGETS_SETTING, type AllowedTargets, isAddressAllowed, isHostNameAllowed } from "./allowed-targets";

/** Resolves a host name to every address it has (tests pass their own). */
export type ResolveHost = (host: string) => Promise<LookupAddress[]>;

export const resolveWithSystemDns: ResolveHost = (host) => dns.lookup(host, { all: true, verbatim: true });

/** A host resolved to an address the policy forbids and the allowlist does not cover. */
export class TargetNotAllowedError extends Error {
  constructor(host: string) {
    super(`${host} resolves to an address that is not allowed`);
    this.name = "TargetNotAllowedError";
  }
}

const REFUSAL_ADVICE = `Webhooks reach only the public internet; the operator can allow internal targets with ${ALLOWED_TARGETS_SETTING}.`;

/** Why a URL's host is refused before anything is resolved (a literal forbidden address, a localhost name), or null. */
export function refusalOfUrlHost(url: URL, allowed: AllowedTargets): string | null {
  const host = hostOfUrl(url);
  if (isHostNameAllowed(host, allowed)) return null;
  if (isLocalhostName(host)) return `${host} is a loopback name. ${REFUSAL_ADVICE}`;
  if (isIP(host) === 0 || isAddressAllowed(host, allowed)) return null;
  const kind = forbiddenAddressKind(host);
  return kind ? `${host} is ${forbiddenAddressLabel[kind]}. ${REFUSAL_ADVICE}` : null;
}

/**
 * The addresses a request to `host` may connect to: the literal itself, or everything the name resolves
 * to, once. Throws TargetNotAllowedError if any of them is forbidden and not allowlisted (a name listed
 * in the allowlist is not checked), and the resolver's error if the name does not resolve.
 */
export async function resolveAllowedAddresses(host: string, allowed: AllowedTargets, resolveHost: ResolveHost): Promise<LookupAddress[]> {
  const family = isIP(host);
  const addresses = family === 0 ? await resolveHost(host) : [{ address: host, family }];
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no addresses`), { code: "ENOTFOUND" });
  if (isHostNameAllowed(host, allowed)) return addresses;
  if (isLocalhostName(host)) throw new TargetNotAllowedError(host);
  for (const { address } of addresses) {
    if (forbiddenAddressKind(address) && !isAddressAllowed(address, allowed)) throw new TargetNotAllowedError(host);
  }
  return addresses;
}

/** A `lookup` for net/http that answers with the addresses already checked, never asking DNS again. */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_host, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
    const first = wanted[0];
    if (!first) {
      callback(Object.assign(new Error("no address of the requested family"), { code: "ENOTFOUND" }), "");
      return;
    }
    if (options.all) callback(null, [...wanted]);
    else callback(null, first.address, first.family);
  };
}
