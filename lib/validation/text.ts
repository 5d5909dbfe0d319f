// The one string schema every request schema builds on. PostgreSQL refuses a NUL in text (the query
// fails, which used to surface as a 500) and a lone UTF-16 surrogate cannot be encoded as UTF-8 (it is
// silently replaced), so both are refused here, up front, with a message naming the field.
import { z } from "zod";

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** null when the text can be stored and echoed as is, else what is wrong with it. */
export function textProblem(value: string): string | null {
  if (NUL.test(value)) return "NUL characters are not allowed";
  if (LONE_SURROGATE.test(value)) return "Unpaired UTF-16 surrogates are not allowed";
  return null;
}

/**
 * z.string() that refuses NUL and lone surrogates. Use it instead of z.string() in every schema, with a
 * .max(n) along its chain (eslint-rules/bounded-schema.mjs refuses a string without one).
 */
export function text() {
  // A check, not a transform: the result is still a ZodString, so .trim()/.min()/.email() chain on.
  return z.string().check((ctx) => {
    const problem = textProblem(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

/**
 * A string of a response schema: it documents what the server writes (the OpenAPI document) and never
 * parses a request, so it promises no maximum. Request schemas use text() with .max().
 */
export function responseText() {
  return z.string();
}
