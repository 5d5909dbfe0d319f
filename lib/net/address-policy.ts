// Which IP addresses an outbound request made for a tenant (a webhook) may reach: the public internet
// only. Everything that leads back into the operator's own host or network is forbidden — loopback,
// private and shared ranges, link-local (cloud metadata at 169.254.169.254), multicast, broadcast, and
// the IPv6 forms that carry an IPv4 address inside them (::ffff:127.0.0.1 reaches 127.0.0.1).
import { isIP } from "node:net";

export type ForbiddenAddressKind =
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "reserved";

/** How a refusal names the kind: "127.0.0.1 is a loopback address". */
export const forbiddenAddressLabel: Record<ForbiddenAddressKind, string> = {
  unspecified: "an unspecified address",
  loopback: "a loopback address",
  private: "a private address",
  shared: "a shared (carrier-grade NAT) address",
  "link-local": "a link-local address",
  "unique-local": "a unique-local address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
};

interface Prefix {
  prefix: bigint;
  length: number;
}

interface Range extends Prefix {
  kind: ForbiddenAddressKind;
}

function ipv4ToNumber(text: string): number {
  return text.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** An IPv6 address as one 128-bit number; `text` has passed isIP (a trailing dotted quad is allowed). */
function ipv6ToBigInt(text: string): bigint {
  let spelled = text;
  const lastColon = spelled.lastIndexOf(":");
  const tail = spelled.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = ipv4ToNumber(tail);
    spelled = `${spelled.slice(0, lastColon + 1)}${Math.floor(v4 / 65_536).toString(16)}:${(v4 % 65_536).toString(16)}`;
  }
  const [head = "", rest] = spelled.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const zeros = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill("0");
  return [...headGroups, ...zeros, ...restGroups].reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function v4Range(cidr: string, kind: ForbiddenAddressKind): Range {
  const [address = "", length = "32"] = cidr.split("/");
  return { prefix: BigInt(ipv4ToNumber(address)), length: Number(length), kind };
}

function v6Prefix(cidr: string): Prefix {
  const [address = "", length = "128"] = cidr.split("/");
  return { prefix: ipv6ToBigInt(address), length: Number(length) };
}

function v6Range(cidr: string, kind: ForbiddenAddressKind): Range {
  return { ...v6Prefix(cidr), kind };
}

// First match wins: the broadcast address before the reserved 240/4 it sits in.
const FORBIDDEN_V4: Range[] = [
  v4Range("0.0.0.0/8", "unspecified"),
  v4Range("10.0.0.0/8", "private"),
  v4Range("100.64.0.0/10", "shared"),
  v4Range("127.0.0.0/8", "loopback"),
  v4Range("169.254.0.0/16", "link-local"),
  v4Range("172.16.0.0/12", "private"),
  v4Range("192.0.0.0/24", "reserved"),
  v4Range("192.0.2.0/24", "reserved"),
  v4Range("192.168.0.0/16", "private"),
  v4Range("198.18.0.0/15", "reserved"),
  v4Range("198.51.100.0/24", "reserved"),
  v4Range("203.0.113.0/24", "reserved"),
  v4Range("224.0.0.0/4", "multicast"),
  v4Range("255.255.255.255/32", "broadcast"),
  v4Range("240.0.0.0/4", "reserved"),
];

// Checked before the embedded IPv4 forms: :: and ::1 sit inside the IPv4-compatible ::/96.
const FORBIDDEN_V6_FIRST: Range[] = [v6Range("::/128", "unspecified"), v6Range("::1/128", "loopback")];

/** IPv6 ranges whose low 32 bits (6to4: bits 16–47) are an IPv4 address the packet reaches or stands for. */
const EMBEDDING_V4: { range: Prefix; shift: bigint }[] = [
  { range: v6Prefix("::ffff:0:0/96"), shift: 0n }, // IPv4-mapped
  { range: v6Prefix("::/96"), shift: 0n }, // IPv4-compatible (deprecated)
  { range: v6Prefix("::ffff:0:0:0/96"), shift: 0n }, // IPv4-translated (SIIT)
  { range: v6Prefix("64:ff9b::/96"), shift: 0n }, // NAT64 well-known prefix
  { range: v6Prefix("2002::/16"), shift: 80n }, // 6to4
];

const FORBIDDEN_V6: Range[] = [
  v6Range("64:ff9b:1::/48", "reserved"), // local-use NAT64: translates to whatever the operator routes
  v6Range("100::/64", "reserved"), // discard-only
  v6Range("2001::/32", "reserved"), // Teredo: carries an obfuscated IPv4 address
  v6Range("2001:db8::/32", "reserved"), // documentation
  v6Range("fc00::/7", "unique-local"),
  v6Range("fe80::/10", "link-local"),
  v6Range("fec0::/10", "private"), // site-local (deprecated)
  v6Range("ff00::/8", "multicast"),
];

function matches(value: bigint, width: number, range: Prefix): boolean {
  const shift = BigInt(width - range.length);
  return value >> shift === range.prefix >> shift;
}

function ipv4Kind(value: number): ForbiddenAddressKind | null {
  return FORBIDDEN_V4.find((range) => matches(BigInt(value), 32, range))?.kind ?? null;
}

/**
 * Why `address` (an IP in any spelling `isIP` accepts, brackets and a zone allowed) must not be reached,
 * or null for a public address. A string that is not an IP address is forbidden as "reserved":
 * whoever calls this with a host name has skipped resolving it.
 */
export function forbiddenAddressKind(address: string): ForbiddenAddressKind | null {
  const bare = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return ipv4Kind(ipv4ToNumber(bare));
  if (family !== 6) return "reserved";
  const value = ipv6ToBigInt(bare);
  const first = FORBIDDEN_V6_FIRST.find((range) => matches(value, 128, range));
  if (first) return first.kind;
  const embedding = EMBEDDING_V4.find(({ range }) => matches(value, 128, range));
  if (embedding) return ipv4Kind(Number((value >> embedding.shift) & 0xffff_ffffn));
  return FORBIDDEN_V6.find((range) => matches(value, 128, range))?.kind ?? null;
}

/** A URL's host as a resolver or isIP wants it: IPv6 without brackets, no trailing dot. */
export function hostOfUrl(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

/** `localhost` and every `*.localhost` name are loopback by definition (RFC 6761), whatever DNS says. */
export function isLocalhostName(host: string): boolean {
  return /(^|\.)localhost$/i.test(host.replace(/\.$/, ""));
}
