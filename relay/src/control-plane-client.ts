// The relay's one client of the control plane's internal API (ARCHITECTURE §1): the plan snapshot
// (with ETag), usage batches and recharge requests. Authentication, the timeout, draining or cancelling
// the body and parsing the answer against the contract's schema happen here, once; callers get a
// typed value or a typed failure to log and act on, never an exception.
import type { z } from "zod";
import { ControlPlanePath, INTERNAL_AUTH_HEADER, rechargeResponseSchema, snapshotSchema, usageBatchResponseSchema } from "./protocol";
import type { RechargeResponse, Snapshot, UsageBatch, UsageBatchResponse } from "./protocol";

export type ControlPlaneFailure =
  /** Answered with a non-2xx status (other than a snapshot's 304). */
  | { ok: false; kind: "status"; status: number }
  /** Answered 2xx with a body that does not match the contract. */
  | { ok: false; kind: "contract"; issues: string[] }
  /** No answer: connection refused, reset, or the timeout passed. */
  | { ok: false; kind: "unreachable"; error: string };

export type ControlPlaneResult<T> = { ok: true; value: T } | ControlPlaneFailure;

export type SnapshotResult = { ok: true; notModified: true } | { ok: true; notModified: false; snapshot: Snapshot; etag: string } | ControlPlaneFailure;

export interface ControlPlaneClientOptions {
  baseUrl: string;
  relaySecret: string;
  /** Timeout of each call unless the call names its own. */
  timeoutMs: number;
}

/** A short description of a failure for the logs. */
export function describeFailure(failure: ControlPlaneFailure): Record<string, unknown> {
  if (failure.kind === "status") return { status: failure.status };
  if (failure.kind === "contract") return { issues: failure.issues };
  return { error: failure.error };
}

export class ControlPlaneClient {
  constructor(private readonly options: ControlPlaneClientOptions) {}

  private async call<T>(
    path: string,
    schema: z.ZodType<T>,
    init: { method?: "GET" | "POST"; body?: unknown; ifNoneMatch?: string | null; timeoutMs?: number },
  ): Promise<{ ok: true; value: T; etag: string | null } | { ok: true; notModified: true } | ControlPlaneFailure> {
    const headers: Record<string, string> = { [INTERNAL_AUTH_HEADER]: `Bearer ${this.options.relaySecret}` };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.ifNoneMatch) headers["if-none-match"] = init.ifNoneMatch;
    let response: Response;
    try {
      response = await fetch(this.options.baseUrl + path, {
        method: init.method ?? "GET",
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(init.timeoutMs ?? this.options.timeoutMs),
      });
    } catch (error) {
      return { ok: false, kind: "unreachable", error: error instanceof Error ? error.message : String(error) };
    }
    try {
      if (response.status === 304 && init.ifNoneMatch) {
        await response.body?.cancel();
        return { ok: true, notModified: true };
      }
      if (!response.ok) {
        await response.body?.cancel();
        return { ok: false, kind: "status", status: response.status };
      }
      const parsed = schema.safeParse(await response.json());
      if (!parsed.success) return { ok: false, kind: "contract", issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`) };
      return { ok: true, value: parsed.data, etag: response.headers.get("etag") };
    } catch (error) {
      // The body broke off or was not JSON.
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, kind: "unreachable", error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** GET the snapshot; with the previous ETag a 304 answers `notModified`. */
  async snapshot(etag: string | null): Promise<SnapshotResult> {
    const result = await this.call(ControlPlanePath.snapshot, snapshotSchema, { ifNoneMatch: etag });
    if (!result.ok) return result;
    if ("notModified" in result) return result;
    return { ok: true, notModified: false, snapshot: result.value, etag: result.etag ?? result.value.version };
  }

  async postUsage(batch: UsageBatch): Promise<ControlPlaneResult<UsageBatchResponse>> {
    const result = await this.call(ControlPlanePath.usage, usageBatchResponseSchema, { method: "POST", body: batch });
    return result.ok && "value" in result ? { ok: true, value: result.value } : (result as ControlPlaneFailure);
  }

  async recharge(appId: string, reason: "connection" | "message", timeoutMs: number): Promise<ControlPlaneResult<RechargeResponse>> {
    const result = await this.call(ControlPlanePath.recharge, rechargeResponseSchema, { method: "POST", body: { appId, reason }, timeoutMs });
    return result.ok && "value" in result ? { ok: true, value: result.value } : (result as ControlPlaneFailure);
  }
}
