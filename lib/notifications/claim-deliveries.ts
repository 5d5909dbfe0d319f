// Claims due outbox rows for the delivery worker, fairly per tenant. Each tenant with due rows gets at
// most its free in-flight allowance (the per-tenant limit minus what this worker already runs for it),
// and the free slots go round-robin: every tenant's oldest due row before anyone's second, the longest
// waiting first. One tenant's backlog therefore never fills the slots another tenant's event needs.
//
// Rows are locked with FOR UPDATE SKIP LOCKED and leased by pushing their next attempt past the request
// timeout in the same statement, so two workers (two web processes) never take one row: a row another
// worker is claiming is skipped, and one it has just leased no longer counts as due when re-checked.
import type { Db } from "@/lib/db";

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
}

export interface ClaimRequest {
  now: Date;
  /** The claimed rows are not due again before this (the attempt must have settled them by then). */
  leaseUntil: Date;
  /** At most this many rows: the worker's free slots. */
  slots: number;
  maxInFlightPerTenant: number;
  /** What this worker is delivering right now, by tenant. */
  inFlightByTenant: ReadonlyMap<string, number>;
}

export async function claimDueDeliveries(db: Db, request: ClaimRequest): Promise<ClaimedDelivery[]> {
  if (request.slots <= 0) return [];
  const busyTenantIds = [...request.inFlightByTenant.keys()];
  const busyCounts = busyTenantIds.map((tenantId) => request.inFlightByTenant.get(tenantId) ?? 0);
  return db.$queryRaw<ClaimedDelivery[]>`
    WITH RECURSIVE pending_tenants AS (
      (SELECT "tenantId" FROM "NotificationDelivery" WHERE status = 'pending' ORDER BY "tenantId" LIMIT 1)
      UNION ALL
      SELECT (
        SELECT next."tenantId" FROM "NotificationDelivery" AS next
        WHERE next.status = 'pending' AND next."tenantId" > previous."tenantId" ORDER BY next."tenantId" LIMIT 1
      )
      FROM pending_tenants AS previous WHERE previous."tenantId" IS NOT NULL
    ),
    busy AS (
      SELECT * FROM unnest(${busyTenantIds}::text[], ${busyCounts}::int[]) AS busy("tenantId", "inFlight")
    ),
    allowance AS (
      SELECT pending_tenants."tenantId", ${request.maxInFlightPerTenant}::int - COALESCE(busy."inFlight", 0) AS free
      FROM pending_tenants LEFT JOIN busy ON busy."tenantId" = pending_tenants."tenantId"
      WHERE pending_tenants."tenantId" IS NOT NULL AND ${request.maxInFlightPerTenant}::int - COALESCE(busy."inFlight", 0) > 0
    ),
    candidates AS (
      SELECT due.id, due."nextAttemptAt", allowance.free,
        row_number() OVER (PARTITION BY allowance."tenantId" ORDER BY due."nextAttemptAt", due.id) AS turn
      FROM allowance CROSS JOIN LATERAL (
        SELECT id, "nextAttemptAt" FROM "NotificationDelivery"
        WHERE "tenantId" = allowance."tenantId" AND status = 'pending' AND "nextAttemptAt" <= ${request.now}
        ORDER BY "nextAttemptAt"
        -- A limit the planner knows (not the row's own allowance) keeps its estimate small and the query cheap to plan.
        LIMIT LEAST(${request.maxInFlightPerTenant}::int, ${request.slots}::int)
        FOR UPDATE SKIP LOCKED
      ) AS due
    ),
    picked AS (
      SELECT id FROM candidates WHERE turn <= free ORDER BY turn, "nextAttemptAt" LIMIT ${request.slots}
    )
    UPDATE "NotificationDelivery" AS delivery SET "nextAttemptAt" = ${request.leaseUntil}
    FROM picked WHERE delivery.id = picked.id
    RETURNING delivery.id, delivery."tenantId"`;
}
