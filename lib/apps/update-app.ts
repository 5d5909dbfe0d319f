import { randomUUID } from "node:crypto";
import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { DomainError, notFound } from "@/lib/errors";
import { emitAppEvent } from "@/lib/notifications/emit-app-event";
import { effectiveLimits } from "@/lib/plans/effective-limits";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import type { UpdateAppBody } from "./app.types";

/**
 * Renames an app, moves it to another plan and/or toggles overages. Overages can only be on while the
 * effective limits (plan + override) allow them: enabling them elsewhere is refused, and a move to a
 * plan without overages switches them off.
 */
export async function updateApp(db: Db, input: { actor: Actor; appId: string; changes: UpdateAppBody; allowHiddenPlans?: boolean }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({
      where: { id: input.appId },
      select: { id: true, name: true, overagesEnabled: true, plan: true, override: true },
    });
    if (!app) throw notFound("App");
    let plan = app.plan;
    if (input.changes.planSlug !== undefined && input.changes.planSlug !== app.plan.slug) {
      const next = await tx.plan.findUnique({ where: { slug: input.changes.planSlug } });
      if (!next || (!next.isPublic && !input.allowHiddenPlans)) {
        throw new DomainError("unprocessable", `Unknown plan "${input.changes.planSlug}"`, { field: "planSlug" });
      }
      plan = next;
    }
    const overagesAllowed = effectiveLimits(plan, app.override).overagesAllowed;
    if (input.changes.overagesEnabled === true && !overagesAllowed) {
      throw new DomainError("unprocessable", `The ${plan.name} plan has no overages: upgrade to a plan with overages to enable them`, {
        field: "overagesEnabled",
      });
    }
    const overagesEnabled = overagesAllowed && (input.changes.overagesEnabled ?? app.overagesEnabled);
    const name = input.changes.name ?? app.name;
    await tx.app.update({ where: { id: app.id }, data: { name, planId: plan.id, overagesEnabled } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "app.update",
      targetType: "app",
      targetId: app.id,
      before: { name: app.name, planSlug: app.plan.slug, overagesEnabled: app.overagesEnabled },
      after: { name, planSlug: plan.slug, overagesEnabled },
    });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "app" });
}

export async function deleteApp(db: Db, input: { actor: Actor; appId: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, name: true, tenantId: true, plan: { select: { slug: true } } } });
    if (!app) throw notFound("App");
    await tx.app.delete({ where: { id: app.id } });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "app.delete",
      targetType: "app",
      targetId: app.id,
      before: { name: app.name, tenantId: app.tenantId, planSlug: app.plan.slug },
    });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "app" });
}

/** Admin only: a suspended app's connections are closed with 4012 and new ones refused. */
export async function setAppStatus(db: Db, input: { actor: Actor; appId: string; status: "active" | "suspended"; reason?: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, status: true } });
    if (!app) throw notFound("App");
    if (app.status === input.status) return;
    await tx.app.update({ where: { id: app.id }, data: { status: input.status } });
    if (input.status === "suspended") {
      await emitAppEvent(tx, { appId: app.id, event: { type: "app.suspended", reason: input.reason ?? null, changeId: randomUUID() } });
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.status === "suspended" ? "app.suspend" : "app.resume",
      targetType: "app",
      targetId: app.id,
      before: { status: app.status },
      after: { status: input.status, ...(input.reason ? { reason: input.reason } : {}) },
    });
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "status" });
}
