// GET  /api/admin/apps/:appId/corrections – the app's credits, adjustments and refunds, and the card charges still refundable (platform admins)
// POST a credit, adjustment or card refund with its reason; Idempotency-Key required (the same key answers the first outcome)
import { NextResponse } from "next/server";
import { idempotencyKeyOf } from "@/lib/billing/billing.types";
import { correctBalance, listCorrections } from "@/lib/billing/billing-corrections";
import { correctionSchema } from "@/lib/billing/billing-corrections.types";
import { getPaymentProvider } from "@/lib/billing/payment-provider";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { actorOf } from "@/lib/http/actor";
import { readJson, withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const GET = withSession<{ appId: string }>(async ({ params }) => NextResponse.json(await listCorrections(getDb(), { appId: params.appId })), { requireAdmin: true });

export const POST = withSession<{ appId: string }>(
  async ({ req, user, params }) => {
    const body = correctionSchema.parse(await readJson(req));
    const idempotencyKey = idempotencyKeyOf(req.headers);
    if (!idempotencyKey) throw new DomainError("invalid_request", "Send an Idempotency-Key header: money moves once per key", { field: "Idempotency-Key" });
    const correction = await correctBalance(getDb(), getPaymentProvider(), { actor: actorOf(user), appId: params.appId, idempotencyKey, body });
    return NextResponse.json({ correction });
  },
  { requireAdmin: true },
);
