// Domain errors: thrown by lib/ functions, mapped to HTTP in exactly one place (lib/http/handle-api-error.ts).

export const DomainErrorCode = {
  invalid_request: 400,
  channel_reserved: 400,
  unauthorized: 401,
  forbidden: 403,
  /** A cookie-authenticated request from another site's page (CSRF), see lib/http/request-guard.ts. */
  cross_site_request: 403,
  /** A write while a platform admin views as a customer (lib/tenancy/view-as.ts). */
  read_only_view: 403,
  app_suspended: 403,
  channel_not_authorized: 403,
  action_not_permitted: 403,
  not_found: 404,
  conflict: 409,
  limit_exceeded: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  payment_failed: 402,
  internal_error: 500,
  unavailable: 503,
} as const;
export type DomainErrorCode = keyof typeof DomainErrorCode;

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** The input field at fault, shown next to it in forms and named in API errors. */
  readonly field?: string;
  readonly retryAfterSec?: number;

  constructor(code: DomainErrorCode, message: string, options: { field?: string; retryAfterSec?: number } = {}) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.field = options.field;
    this.retryAfterSec = options.retryAfterSec;
  }

  get httpStatus(): number {
    return DomainErrorCode[this.code];
  }
}

export function notFound(what: string): DomainError {
  return new DomainError("not_found", `${what} not found`);
}
