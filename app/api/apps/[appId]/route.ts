// GET /api/apps/:appId – one app with its effective limits and plan-fee state
// PATCH /api/apps/:appId – rename, change plan (charged; Idempotency-Key header honoured), toggle overages
// DELETE /api/apps/:appId – delete an app with its keys, billing and usage (?forfeitBalanceMinor= confirms a balance's loss)
import { NextResponse } from "next/server";
import { deleteAppQuerySchema, updateAppSchema } from "@/lib/apps/app.types";
import { getApp } from "@/lib/apps/get-app";
import { deleteApp, updateApp } from "@/lib/apps/update-app";
import { changePlan } from "@/lib/billing/change-plan";
import { idempotencyKeyOf } from "@/lib/billing/billing.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { getDb } from "@/lib/db";
import { getServerEnv } from "@/lib/env";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";
import { requireAppAccess } from "@/lib/tenancy/require-app-access";

export const dynamic = "force-dynamic";

type Params = { appId: string };

export const GET = withSession<Params>(async ({ user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  return NextResponse.json({ app: await getApp(getDb(), { appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }) });
});

export const PATCH = withSession<Params>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const { planSlug, ...changes } = updateAppSchema.parse(await readJson(req));
  const idempotencyKey = idempotencyKeyOf(req.headers);
  const planChange =
    planSlug === undefined
      ? null
      : await changePlan(getDb(), getPaymentProvider(), { actor: actorOf(user), appId, planSlug, idempotencyKey, allowHiddenPlans: user.isPlatformAdmin });
  if (changes.name !== undefined || changes.overagesEnabled !== undefined) await updateApp(getDb(), { actor: actorOf(user), appId, changes });
  return NextResponse.json({ app: await getApp(getDb(), { appId, relayUrl: getServerEnv().RELAY_PUBLIC_URL }), planChange });
});

export const DELETE = withSession<Params>(async ({ req, user, params }) => {
  const { appId } = await requireAppAccess(getDb(), { userId: user.id, appId: params.appId });
  const query = deleteAppQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  const { forfeitedBalanceMinor } = await deleteApp(getDb(), { actor: actorOf(user), appId, confirmForfeitBalanceMinor: query.forfeitBalanceMinor });
  return NextResponse.json({ id: appId, deleted: true, forfeitedBalanceMinor });
});
