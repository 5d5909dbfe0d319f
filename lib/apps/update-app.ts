import { randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import type { UpdateAppBody } from "./app.types";

type PlanFields = Parameters<typeof effectiveLimits>[0] & { kind: string; name: string };

/** Overages can be switched on only under effective limits (plan + override) that allow them, and never on pay-as-you-go. */
function refuseOveragesUnlessAllowed(plan: PlanFields, override: Parameters<typeof effectiveLimits>[1]): void {
  if (plan.kind === "pay_as_you_go") {
    throw new DomainError("unprocessable", "Overages do not apply to pay-as-you-go: all usage past the free allowance is billed from the balance", {
      field: "overagesEnabled",
    });
  }
  if (!effectiveLimits(plan, override).overagesAllowed) {
    throw new DomainError("unprocessable", `The ${plan.name} plan has no overages: upgrade to a plan with overages to enable them`, { field: "overagesEnabled" });
  }
}

/**
 * A plan change that also asks for overages is checked against the new plan before anything is
 * charged, so the request is refused whole rather than charged and then refused.
 */
export async function assertOveragesAllowedOnPlan(db: Db, input: { appId: string; planSlug: string }): Promise<void> {
  const [app, plan] = await Promise.all([
    db.app.findUnique({ where: { id: input.appId }, select: { override: true } }),
    db.plan.findUnique({ where: { slug: input.planSlug } }),
  ]);
  // An unknown app or plan is the plan change's to report.
  if (app && plan) refuseOveragesUnlessAllowed(plan, app.override);
}

/**
 * Renames an app and/or toggles overages (plan changes go through lib/billing/change-plan.ts, which
 * charges for them). Overages can only be on while the effective limits (plan + override) allow them.
 */
export async function updateApp(db: Db, input: { actor: Actor; appId: string; changes: Omit<UpdateAppBody, "planSlug"> }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({
      where: { id: input.appId },
      select: { id: true, name: true, overagesEnabled: true, plan: true, override: true },
    });
    if (!app) throw notFound("App");
    const overagesAllowed = effectiveLimits(app.plan, app.override).overagesAllowed;
    if (input.changes.overagesEnabled === true) refuseOveragesUnlessAllowed(app.plan, app.override);
    const overagesEnabled = overagesAllowed && (input.changes.overagesEnabled ?? app.overagesEnabled);
    const name = input.changes.name ?? app.name;
    if (name === app.name && overagesEnabled === app.overagesEnabled) return;
    await tx.app.update({ where: { id: app.id }, data: { name, overagesEnabled } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "app.update",
      targetType: "app",
      targetId: app.id,
      before: { name: app.name, overagesEnabled: app.overagesEnabled },
      after: { name, overagesEnabled },
    });
    if (overagesEnabled !== app.overagesEnabled) await recordRelayChange(tx, { appId: app.id });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "app" });
}

/**
 * Soft delete: the app leaves every customer view, what relays are told (its connections close, its keys
 * stop working) and /v1, but admins still find it with who deleted it and when. Its money is not its
 * own: the balance is the team's wallet (issue 27), which its other apps keep using, so nothing is lost.
 */
export async function deleteApp(db: Db, input: { actor: Actor; appId: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findFirst({
      where: { id: input.appId, deletedAt: null },
      select: { id: true, name: true, tenantId: true, plan: { select: { slug: true } } },
    });
    if (!app) throw notFound("App");
    await tx.app.update({ where: { id: app.id }, data: { deletedAt: new Date(), deletedById: input.actor.id, deletedByEmail: input.actor.email ?? null } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "app.delete",
      targetType: "app",
      targetId: app.id,
      before: { name: app.name, tenantId: app.tenantId, planSlug: app.plan.slug },
    });
    await recordRelayChange(tx, { appId: app.id });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "app" });
}

/** Admin only: a suspended app's connections are closed with 4012 and new ones refused. */
export async function setAppStatus(db: Db, input: { actor: Actor; appId: string; status: "active" | "suspended"; reason?: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, status: true } });
    if (!app) throw notFound("App");
    if (app.status === input.status) return;
    await tx.app.update({
      where: { id: app.id },
      data: input.status === "suspended" ? { status: input.status, suspendedReason: input.reason ?? null, suspendedAt: new Date() } : { status: input.status, suspendedReason: null, suspendedAt: null },
    });
    if (input.status === "suspended") {
      await emitAppEvent(tx, { appId: app.id, event: { type: "app.suspended", reason: input.reason ?? null, changeId: randomUUID() } });
    } else {
      // A suspension's banner lasts while the suspension does: resuming settles it for the whole team.
      await tx.appEvent.updateMany({ where: { appId: app.id, type: "app.suspended", readAt: null }, data: { readAt: new Date() } });
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.status === "suspended" ? "app.suspend" : "app.resume",
      targetType: "app",
      targetId: app.id,
      before: { status: app.status },
      after: { status: input.status, ...(input.reason ? { reason: input.reason } : {}) },
    });
    await recordRelayChange(tx, { appId: app.id });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "status" });
}
