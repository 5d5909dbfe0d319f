import { Limits } from "@tollgate/relay/protocol";
import { DomainError } from "@/lib/errors";

function tooLarge(): DomainError {
  return new DomainError("payload_too_large", `The request body is over ${Limits.maxRestBodyBytes} bytes`);
}

/**
 * Reads a JSON body of at most 32 KB (PROTOCOL §5). A declared Content-Length over the cap is refused
 * before reading; otherwise the stream is read with a running count, so a lying or absent header
 * cannot push more than the cap into memory. An empty body reads as undefined.
 */
export async function readCappedJson(req: Request, maxBytes: number = Limits.maxRestBodyBytes): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  if (!req.body) return undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError("invalid_request", "The request body must be valid JSON");
  }
}
