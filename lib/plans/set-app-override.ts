import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { announceLimitsChange } from "@/lib/notifications/announce-limits-change";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { type EffectiveLimits, effectiveLimits, toOverrideView } from "./effective-limits";
import type { OverrideBody, OverrideView } from "./plan.types";

export interface OverrideResult {
  override: OverrideView | null;
  limits: EffectiveLimits;
}

/** Sets (merges) an app's limit override; fields sent as null return to the plan's value. */
export async function setAppOverride(db: Db, input: { actor: Actor; appId: string; changes: OverrideBody }): Promise<OverrideResult> {
  const result = await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, plan: true, override: true } });
    if (!app) throw notFound("App");
    const override = await tx.appLimitOverride.upsert({
      where: { appId: app.id },
      create: { appId: app.id, ...input.changes, updatedById: input.actor.id },
      update: { ...input.changes, updatedById: input.actor.id },
    });
    if (override.overagesAllowed === false || (override.overagesAllowed === null && !app.plan.overagesAllowed)) {
      await tx.app.update({ where: { id: app.id }, data: { overagesEnabled: false } });
    }
    const view = toOverrideView(override);
    await announceLimitsChange(tx, {
      appId: app.id,
      source: "override",
      changeId: String(override.updatedAt.getTime()),
      before: effectiveLimits(app.plan, app.override),
      after: effectiveLimits(app.plan, override),
    });
    await writeAuditLog(tx, {
      actor: input.actor,
      action: "app_override.set",
      targetType: "app",
      targetId: app.id,
      before: toOverrideView(app.override),
      after: view,
    });
    return { override: view, limits: effectiveLimits(app.plan, override) };
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "override" });
  return result;
}

export async function clearAppOverride(db: Db, input: { actor: Actor; appId: string }): Promise<OverrideResult> {
  const result = await db.$transaction(async (tx) => {
    const app = await tx.app.findUnique({ where: { id: input.appId }, select: { id: true, plan: true, override: true } });
    if (!app) throw notFound("App");
    if (app.override) {
      await tx.appLimitOverride.delete({ where: { appId: app.id } });
      await announceLimitsChange(tx, {
        appId: app.id,
        source: "override",
        changeId: `clear-${Date.now()}`,
        before: effectiveLimits(app.plan, app.override),
        after: effectiveLimits(app.plan, null),
      });
      if (!app.plan.overagesAllowed) await tx.app.update({ where: { id: app.id }, data: { overagesEnabled: false } });
      await writeAuditLog(tx, {
        actor: input.actor,
        action: "app_override.clear",
        targetType: "app",
        targetId: app.id,
        before: toOverrideView(app.override),
      });
    }
    return { override: null, limits: effectiveLimits(app.plan, null) };
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "override" });
  return result;
}
