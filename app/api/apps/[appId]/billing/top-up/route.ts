// POST /api/apps/:appId/billing/top-up – charge a card and credit the prepaid balance (Idempotency-Key honoured)
import { NextResponse } from "next/server";
import { idempotencyKeyOf, topUpSchema } from "@/lib/billing/billing.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { topUpBalance } from "@/lib/billing/top-up-balance";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withAppAccess<{ appId: string }>(async ({ req, user, access: { appId } }) => {
  const body = topUpSchema.parse(await readJson(req));
  const idempotencyKey = idempotencyKeyOf(req.headers);
  return NextResponse.json(await topUpBalance(getDb(), getPaymentProvider(), { actor: actorOf(user), appId, ...body, idempotencyKey }));
}, { permissions: ["billing.manage"] });
