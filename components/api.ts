// The one way client components talk to the dashboard API: JSON in, JSON out, and every non-2xx answer
// becomes an ApiError carrying the API's `{error, message, field?}` so forms can show it next to the field.
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

function readErrorBody(body: unknown): { error?: string; message?: string; field?: string } {
  if (typeof body !== "object" || body === null) return {};
  const record = body as Record<string, unknown>;
  return {
    error: typeof record.error === "string" ? record.error : undefined,
    message: typeof record.message === "string" ? record.message : undefined,
    field: typeof record.field === "string" ? record.field : undefined,
  };
}

/** Status of an ApiError for a request that never got an answer (offline, server down, connection reset). */
export const NETWORK_ERROR_STATUS = 0;
export const NETWORK_ERROR_MESSAGE = "Could not reach Tollgate. Check your connection and try again; nothing was changed.";

export function isNetworkError(error: unknown): boolean {
  return error instanceof ApiError && error.status === NETWORK_ERROR_STATUS;
}

export async function apiFetch<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: "no-store",
    });
  } catch {
    // fetch rejects only when no HTTP answer arrived: say so in words, not "Failed to fetch".
    throw new ApiError(NETWORK_ERROR_STATUS, "network_error", NETWORK_ERROR_MESSAGE);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A non-JSON answer (a proxy's HTML error page, say) still becomes a readable error below.
  }
  if (!response.ok) {
    const error = readErrorBody(body);
    const fallback =
      response.status === 404 ? "Not found" : response.status >= 500 ? "Tollgate could not finish this request. Try again in a moment." : `Request failed (HTTP ${response.status})`;
    throw new ApiError(response.status, error.error ?? "http_error", error.message ?? fallback, error.field);
  }
  return body as T;
}

/** The error message for one form field, if the API named that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/** The error message to show at the form level: anything not tied to a field shown in the form. */
export function formError(error: unknown, shownFields: readonly string[]): string | undefined {
  if (!error) return undefined;
  if (error instanceof ApiError) return error.field && shownFields.includes(error.field) ? undefined : error.message;
  return error instanceof Error ? error.message : "Something went wrong";
}
