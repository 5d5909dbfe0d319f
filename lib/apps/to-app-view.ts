import type { Prisma } from "@/lib/db";
import { billingPeriodAt } from "@/lib/periods/billing-period";
import { effectiveLimits, toOverrideView } from "@/lib/plans/effective-limits";
import type { AppView } from "./app.types";

export const appViewSelect = {
  id: true,
  name: true,
  tenantId: true,
  status: true,
  overagesEnabled: true,
  billingAnchor: true,
  createdAt: true,
  suspendedReason: true,
  deletedAt: true,
  deletedByEmail: true,
  tenant: { select: { name: true } },
  plan: true,
  override: true,
} satisfies Prisma.AppSelect;

export type AppViewRow = Prisma.AppGetPayload<{ select: typeof appViewSelect }>;

export function toAppView(app: AppViewRow, options: { relayUrl: string; now?: Date }): AppView {
  const period = billingPeriodAt(app.billingAnchor, options.now ?? new Date());
  return {
    id: app.id,
    name: app.name,
    tenantId: app.tenantId,
    tenantName: app.tenant.name,
    status: app.status,
    overagesEnabled: app.overagesEnabled,
    plan: { id: app.plan.id, slug: app.plan.slug, name: app.plan.name, kind: app.plan.kind, overagesAllowed: app.plan.overagesAllowed },
    limits: effectiveLimits(app.plan, app.override),
    override: toOverrideView(app.override),
    billingAnchor: app.billingAnchor.toISOString(),
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    relayUrl: options.relayUrl,
    createdAt: app.createdAt.toISOString(),
    suspendedReason: app.suspendedReason,
    deletedAt: app.deletedAt?.toISOString() ?? null,
    deletedByEmail: app.deletedByEmail,
  };
}
