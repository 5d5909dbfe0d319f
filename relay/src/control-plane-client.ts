// The relay's one client of the control plane's internal API (docs/ARCHITECTURE.md §1): app states,
// the change feed, usage batches and recharge requests. Authentication, the timeout, draining or cancelling
// the body and parsing the answer against the contract's schema happen here, once; callers get a
// typed value or a typed failure to log and act on, never an exception.
import type { z } from "zod";
import { ControlPlanePath, INTERNAL_AUTH_HEADER, appStatesResponseSchema, changeFeedResponseSchema, rechargeResponseSchema, usageBatchResponseSchema } from "./protocol";
import type { AppStateRequest, AppStatesResponse, ChangeFeedResponse, RechargeResponse, UsageBatch, UsageBatchResponse } from "./protocol";

export type ControlPlaneFailure =
  /** Answered with a non-2xx status. */
  | { ok: false; kind: "status"; status: number }
  /** Answered 2xx with a body that does not match the contract. */
  | { ok: false; kind: "contract"; issues: string[] }
  /** No answer: connection refused, reset, or the timeout passed. */
  | { ok: false; kind: "unreachable"; error: string };

export type ControlPlaneResult<T> = { ok: true; value: T } | ControlPlaneFailure;

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
    init: { method?: "GET" | "POST"; body?: unknown; timeoutMs?: number },
  ): Promise<ControlPlaneResult<T>> {
    const headers: Record<string, string> = { [INTERNAL_AUTH_HEADER]: `Bearer ${this.options.relaySecret}` };
    if (init.body !== undefined) headers["content-type"] = "application/json";
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
      if (!response.ok) {
        await response.body?.cancel();
        return { ok: false, kind: "status", status: response.status };
      }
      const parsed = schema.safeParse(await response.json());
      if (!parsed.success) return { ok: false, kind: "contract", issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`) };
      return { ok: true, value: parsed.data };
    } catch (error) {
      // The body broke off or was not JSON.
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, kind: "unreachable", error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The enforcement state of the app a key id names, or of these app ids. */
  appStates(request: AppStateRequest): Promise<ControlPlaneResult<AppStatesResponse>> {
    return this.call(ControlPlanePath.appStates, appStatesResponseSchema, { method: "POST", body: request });
  }

  /** The apps changed after `since`; without it, the feed's head cursor. */
  changes(since: string | null): Promise<ControlPlaneResult<ChangeFeedResponse>> {
    const query = since === null ? "" : `?since=${encodeURIComponent(since)}`;
    return this.call(ControlPlanePath.changes + query, changeFeedResponseSchema, {});
  }

  postUsage(batch: UsageBatch): Promise<ControlPlaneResult<UsageBatchResponse>> {
    return this.call(ControlPlanePath.usage, usageBatchResponseSchema, { method: "POST", body: batch });
  }

  recharge(appId: string, reason: "connection" | "message", timeoutMs: number): Promise<ControlPlaneResult<RechargeResponse>> {
    return this.call(ControlPlanePath.recharge, rechargeResponseSchema, { method: "POST", body: { appId, reason }, timeoutMs });
  }
}
