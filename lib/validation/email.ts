// Email addresses as people type them, internationalised ones included: a UTF-8 local part
// (josé@example.com, RFC 6531) and a domain in any script (anna@bücher.de, IDNA). Every address is
// stored and looked up in one normal form — the local part NFC and lower-cased (as sign-in always did),
// the domain in its ASCII form (xn--bcher-kva.de) — so the same mailbox typed in Unicode, or as
// Chromium's email input submits it (the domain already in punycode), is one account and one invitee.
// No Next.js or Node imports: the sign-up form's bundle may use it too.
import { text } from "./text";

export const EMAIL_MAX_CHARS = 254;
const LOCAL_PART_MAX_BYTES = 64;
export const INVALID_EMAIL_MESSAGE = "Enter a valid email address";

// Characters an unquoted local part may not hold (RFC 5322 specials, whitespace, controls).
const LOCAL_PART_FORBIDDEN = /[\s"(),:;<>@[\\\]\p{Cc}]/u;
// Before IDNA: a domain is labels and dots, nothing a URL parser would read as a path, port or userinfo.
const DOMAIN_FORBIDDEN = /[\s/?#:@[\\\]%\p{Cc}]/u;
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The domain in ASCII (IDNA, lower case), or null when it is not a host name with at least two labels. */
function asciiDomain(domain: string): string | null {
  if (domain.length === 0 || DOMAIN_FORBIDDEN.test(domain)) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${domain}`).hostname;
  } catch {
    return null;
  }
  const labels = hostname.split(".");
  if (labels.length < 2 || !labels.every((label) => ASCII_LABEL.test(label)) || /^\d+$/.test(labels[labels.length - 1] ?? "")) return null;
  return hostname;
}

/** The stored form of an address (see the file comment); an invalid address comes back trimmed and lower-cased. */
export function normalizeEmail(raw: string): string {
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf("@");
  if (at < 0) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).normalize("NFC").toLowerCase();
  const domain = trimmed.slice(at + 1);
  return `${local}@${asciiDomain(domain) ?? domain.toLowerCase()}`;
}

/** Whether a normalised address is one mail can be sent to. */
export function isEmailAddress(normalized: string): boolean {
  if (normalized.length > EMAIL_MAX_CHARS) return false;
  const at = normalized.lastIndexOf("@");
  if (at < 1) return false;
  const local = normalized.slice(0, at);
  const domain = normalized.slice(at + 1);
  if (new TextEncoder().encode(local).length > LOCAL_PART_MAX_BYTES || LOCAL_PART_FORBIDDEN.test(local)) return false;
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false;
  return asciiDomain(domain) === domain;
}

/** An email field of a request: trimmed, normalised and checked, under one message. */
export function emailAddress() {
  return text()
    .trim()
    .max(EMAIL_MAX_CHARS, INVALID_EMAIL_MESSAGE)
    .transform(normalizeEmail)
    .refine(isEmailAddress, INVALID_EMAIL_MESSAGE);
}
