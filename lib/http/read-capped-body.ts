// The one way a route reads its request body (eslint.config.mjs refuses req.json() and the like
// elsewhere): JSON of at most a cap, 32 KB (Limits.maxRestBodyBytes) unless a wrapper says otherwise,
// so no route can be made to buffer an unbounded body.
import { Limits } from "@tollgate/relay/protocol";
import { DomainError } from "@/lib/errors";

function tooLarge(maxBytes: number): DomainError {
  return new DomainError("payload_too_large", `The request body is over ${maxBytes} bytes`);
}

/** Refuses a request whose declared Content-Length is over the cap, before anything is read. */
export function assertDeclaredBodyWithinCap(req: Request, maxBytes: number = Limits.maxRestBodyBytes): void {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Reads a body of at most `maxBytes` as text (PROTOCOL §5). A declared Content-Length over the cap is
 * refused before reading; otherwise the stream is read with a running count, so a lying or absent
 * header cannot push more than the cap into memory.
 */
export async function readCappedText(req: Request, maxBytes: number = Limits.maxRestBodyBytes): Promise<string> {
  assertDeclaredBodyWithinCap(req, maxBytes);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A JSON body of at most `maxBytes`, read as readCappedText does. An empty body reads as undefined. */
export async function readCappedJson(req: Request, maxBytes: number = Limits.maxRestBodyBytes): Promise<unknown> {
  const text = await readCappedText(req, maxBytes);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError("invalid_request", "The request body must be valid JSON");
  }
}
