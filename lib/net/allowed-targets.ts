// The operator's exceptions to the address policy: internal services a self-hoster wants webhooks to
// reach. Written as a comma list of addresses, CIDR ranges and host names (`*.name` for every name
// under it), empty by default.
import { BlockList, isIP } from "node:net";

/** The environment variable that holds the list; refusals name it so a self-hoster knows what to set. */
export const ALLOWED_TARGETS_SETTING = "WEBHOOK_ALLOWED_TARGETS";

export interface AllowedTargets {
  /** Addresses and ranges; an IPv4 rule also covers its IPv4-mapped IPv6 form. */
  readonly addresses: BlockList;
  /** Lower case, without a trailing dot. */
  readonly hostNames: ReadonlySet<string>;
  /** From `*.example.internal`: ".example.internal" (covers names under it, not the name itself). */
  readonly hostSuffixes: readonly string[];
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function familyName(family: number): "ipv4" | "ipv6" {
  return family === 4 ? "ipv4" : "ipv6";
}

function addAddressEntry(addresses: BlockList, entry: string): boolean {
  const [address = "", prefix, ...extra] = entry.replace(/^\[(.*)\]/, "$1").split("/");
  const family = isIP(address);
  if (family === 0 || extra.length > 0) return false;
  if (prefix === undefined) {
    addresses.addAddress(address, familyName(family));
    return true;
  }
  const length = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || length > (family === 4 ? 32 : 128)) return false;
  addresses.addSubnet(address, length, familyName(family));
  return true;
}

/** Parses the setting; throws an Error naming the first entry that is neither an address, a range nor a host name. */
export function parseAllowedTargets(list: string): AllowedTargets {
  const addresses = new BlockList();
  const hostNames = new Set<string>();
  const hostSuffixes: string[] = [];
  for (const raw of list.split(",")) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, "");
    if (entry === "") continue;
    if (addAddressEntry(addresses, entry)) continue;
    const name = entry.startsWith("*.") ? entry.slice(2) : entry;
    // A name whose last label is a number is an IPv4 spelling to URL parsers (127.1): ask for the address.
    if (!HOST_NAME.test(name) || /(^|\.)(\d+|0x[0-9a-f]*)$/.test(name)) {
      throw new Error(`"${raw.trim()}" is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or a host name (hooks.internal, *.svc.cluster.local)`);
    }
    if (entry.startsWith("*.")) hostSuffixes.push(`.${name}`);
    else hostNames.add(name);
  }
  return { addresses, hostNames, hostSuffixes };
}

export const NO_ALLOWED_TARGETS: AllowedTargets = parseAllowedTargets("");

export function isHostNameAllowed(host: string, allowed: AllowedTargets): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return allowed.hostNames.has(name) || allowed.hostSuffixes.some((suffix) => name.endsWith(suffix));
}

/** `address` is an IP literal without brackets. */
export function isAddressAllowed(address: string, allowed: AllowedTargets): boolean {
  const bare = address.replace(/%.*$/, "");
  const family = isIP(bare);
  return family !== 0 && allowed.addresses.check(bare, familyName(family));
}
