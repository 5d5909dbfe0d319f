import { CloseCode } from "@tollgate/relay/protocol";

// Human names derived from the protocol's own constant names, so a code is never spelled twice.
const names = new Map<number, string>(
  Object.entries(CloseCode).map(([name, code]) => [code, name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()]),
);

export function closeCodeLabel(code: string | number): string {
  const name = names.get(Number(code));
  return name ? `${code} · ${name}` : String(code);
}
