// The one place errors become HTTP responses. Internals never leak: unknown errors are logged and
// answered with a generic 500 (503 on /v1). Two dialects share it: the dashboard API (validation →
// 422, body too large → 413 payload_too_large) and the public /v1 API, whose status/code pairs
// PROTOCOL §7 fixes (validation → 400 invalid_request, body too large → 413 invalid_request, any
// server-side fault → 503 internal_error).
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { DomainError, type DomainErrorCode } from "@/lib/errors";
// Installs the human messages for every schema parsed in a route (each route maps its errors here).
import "./zod-messages";

export interface ApiErrorBody {
  error: string;
  message: string;
  field?: string;
}

export type ErrorDialect = "dashboard" | "v1";

export function errorResponse(status: number, body: ApiErrorBody, headers?: HeadersInit): NextResponse<ApiErrorBody> {
  return NextResponse.json(body, { status, headers });
}

function isPrismaNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error as { code: unknown }).code === "P2025";
}

/** Status and public code of a domain error in each dialect. */
function mapDomainCode(code: DomainErrorCode, status: number, dialect: ErrorDialect): { status: number; error: string } {
  if (code === "unprocessable") return { status: dialect === "v1" ? 400 : 422, error: "invalid_request" };
  if (code === "payload_too_large" && dialect === "v1") return { status: 413, error: "invalid_request" };
  if (dialect === "v1" && (code === "unavailable" || code === "internal_error")) return { status: 503, error: "internal_error" };
  return { status, error: code };
}

export function handleApiError(error: unknown, dialect: ErrorDialect = "dashboard"): NextResponse<ApiErrorBody> {
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join(".") || undefined;
    // The dashboard shows the message next to the field it names; API clients get the field in the text too.
    const message = issue ? (dialect === "v1" && field ? `${field}: ${issue.message}` : issue.message) : "Invalid request";
    return errorResponse(dialect === "v1" ? 400 : 422, { error: "invalid_request", message, field });
  }
  if (error instanceof DomainError) {
    const headers = error.retryAfterSec ? { "Retry-After": String(error.retryAfterSec) } : undefined;
    const mapped = mapDomainCode(error.code, error.httpStatus, dialect);
    return errorResponse(mapped.status, { error: mapped.error, message: error.message, field: error.field }, headers);
  }
  if (isPrismaNotFound(error)) return errorResponse(404, { error: "not_found", message: "Not found" });
  console.error(JSON.stringify({ level: "error", msg: "unhandled API error", error: error instanceof Error ? error.stack : String(error) }));
  return errorResponse(dialect === "v1" ? 503 : 500, { error: "internal_error", message: "Internal error" });
}
