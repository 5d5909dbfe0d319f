// The one place errors become HTTP responses. Internals never leak: unknown errors are logged and
// answered with a generic 500.
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { DomainError } from "@/lib/errors";

export interface ApiErrorBody {
  error: string;
  message: string;
  field?: string;
}

export function errorResponse(status: number, body: ApiErrorBody, headers?: HeadersInit): NextResponse<ApiErrorBody> {
  return NextResponse.json(body, { status, headers });
}

function isPrismaNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error as { code: unknown }).code === "P2025";
}

export function handleApiError(error: unknown): NextResponse<ApiErrorBody> {
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join(".") || undefined;
    return errorResponse(422, {
      error: "invalid_request",
      message: issue ? `${field ? `${field}: ` : ""}${issue.message}` : "Invalid request",
      field,
    });
  }
  if (error instanceof DomainError) {
    const headers = error.retryAfterSec ? { "Retry-After": String(error.retryAfterSec) } : undefined;
    return errorResponse(error.httpStatus, { error: error.code, message: error.message, field: error.field }, headers);
  }
  if (isPrismaNotFound(error)) return errorResponse(404, { error: "not_found", message: "Not found" });
  console.error(JSON.stringify({ level: "error", msg: "unhandled API error", error: error instanceof Error ? error.stack : String(error) }));
  return errorResponse(500, { error: "internal_error", message: "Internal error" });
}
