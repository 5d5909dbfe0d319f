import { type Actor, writeAuditLog } from "@/lib/audit/write-audit-log";
import type { Db, Prisma } from "@/lib/db";
import { notFound } from "@/lib/errors";
import type { AppLimitOverride, Plan } from "@/lib/generated/prisma/client";
import { announceLimitsChange } from "@/lib/notifications/announce-limits-change";
import { notifyRelaysOfChange } from "@/lib/relay/notify-relays";
import { recordRelayChange } from "@/lib/relay/relay-feed";
import { type EffectiveLimits, effectiveLimits, toOverrideView } from "./effective-limits";
import type { OverrideBody, OverrideView } from "./plan.types";

export interface OverrideResult {
  override: OverrideView | null;
  limits: EffectiveLimits;
}

/** The fields that change a limit (a note alone overrides nothing). */
const OVERRIDE_VALUE_FIELDS = [
  "maxConcurrentConnections",
  "maxMessagesPerPeriod",
  "overagesAllowed",
  "tokenBucketRefillPerSecond",
  "tokenBucketBurst",
  "connectAttemptsPerIpPerMinute",
  "controlFrameRefillPerSecond",
  "controlFrameBurst",
  "inboundBytesPerSecond",
  "historySize",
  "historyTtlSeconds",
  "maxPeersPerChannel",
  "maxActiveChannels",
] as const satisfies readonly (keyof OverrideBody)[];

interface AppWithOverride {
  id: string;
  plan: Plan;
  override: AppLimitOverride | null;
}

async function findApp(tx: Prisma.TransactionClient, appId: string): Promise<AppWithOverride> {
  const app = await tx.app.findUnique({ where: { id: appId }, select: { id: true, plan: true, override: true } });
  if (!app) throw notFound("App");
  return app;
}

/** Deletes the app's override (if any): its plan's limits apply again. */
async function removeOverride(tx: Prisma.TransactionClient, app: AppWithOverride, actor: Actor): Promise<OverrideResult> {
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
    await writeAuditLog(tx, { actor, action: "app_override.clear", targetType: "app", targetId: app.id, before: toOverrideView(app.override) });
    await recordRelayChange(tx, { appId: app.id });
  }
  return { override: null, limits: effectiveLimits(app.plan, null) };
}

/**
 * Sets (merges) an app's limit override; fields sent as null return to the plan's value. An override
 * left with no value at all is removed, so the app is not shown as overridden for an empty form.
 */
export async function setAppOverride(db: Db, input: { actor: Actor; appId: string; changes: OverrideBody }): Promise<OverrideResult> {
  const result = await db.$transaction(async (tx) => {
    const app = await findApp(tx, input.appId);
    const valueAfter = (field: (typeof OVERRIDE_VALUE_FIELDS)[number]) => (field in input.changes ? input.changes[field] : app.override?.[field]);
    if (OVERRIDE_VALUE_FIELDS.every((field) => valueAfter(field) === null || valueAfter(field) === undefined)) return removeOverride(tx, app, input.actor);
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
    await recordRelayChange(tx, { appId: app.id });
    return { override: view, limits: effectiveLimits(app.plan, override) };
  });
  notifyRelaysOfChange({ appId: input.appId, kind: "override" });
  return result;
}

export async function clearAppOverride(db: Db, input: { actor: Actor; appId: string }): Promise<OverrideResult> {
  const result = await db.$transaction(async (tx) => removeOverride(tx, await findApp(tx, input.appId), input.actor));
  notifyRelaysOfChange({ appId: input.appId, kind: "override" });
  return result;
}
