// GET /api/apps/:appId – one app with its effective limits, plan-fee state and what the caller's role may do
// PATCH /api/apps/:appId – rename (any member), change plan (charged; Idempotency-Key honoured) or toggle overages (owners)
// DELETE /api/apps/:appId – delete an app (owners); it leaves every customer view and the relays at once (the team's wallet stays)
import { NextResponse } from "next/server";
import { updateAppSchema } from "@/lib/apps/app.types";
import { getApp } from "@/lib/apps/get-app";
import { assertOveragesAllowedOnPlan, deleteApp, updateApp } from "@/lib/apps/update-app";
import { changePlan } from "@/lib/billing/change-plan";
import { idempotencyKeyOf } from "@/lib/billing/billing.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";
import { permissionsForAppChanges, permissionsOf, requirePermission } from "@/lib/tenancy/permissions";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const GET = withAppAccess<Params>(
  async ({ access }) =>
    NextResponse.json({
      app: await getApp(getDb(), { appId: access.appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }),
      role: access.role,
      permissions: permissionsOf(access.role),
    }),
  { permissions: ["app.read"] },
);

export const PATCH = withAppAccess<Params>(
  async ({ req, user, access }) => {
    const { planSlug, ...changes } = updateAppSchema.parse(await readJson(req));
    requirePermission(access.role, ...permissionsForAppChanges({ planSlug, ...changes }));
    const idempotencyKey = idempotencyKeyOf(req.headers);
    if (planSlug !== undefined && changes.overagesEnabled === true) await assertOveragesAllowedOnPlan(getDb(), { appId: access.appId, planSlug });
    const planChange =
      planSlug === undefined
        ? null
        : await changePlan(getDb(), getPaymentProvider(), { actor: actorOf(user), appId: access.appId, planSlug, idempotencyKey, allowHiddenPlans: user.isPlatformAdmin });
    if (changes.name !== undefined || changes.overagesEnabled !== undefined) {
      await updateApp(getDb(), { actor: actorOf(user), appId: access.appId, changes });
    }
    return NextResponse.json({ app: await getApp(getDb(), { appId: access.appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }), planChange });
  },
  { permissions: ["app.read"] },
);

export const DELETE = withAppAccess<Params>(
  async ({ user, access }) => {
    await deleteApp(getDb(), { actor: actorOf(user), appId: access.appId });
    return NextResponse.json({ id: access.appId, deleted: true });
  },
  { permissions: ["app.delete"] },
);
