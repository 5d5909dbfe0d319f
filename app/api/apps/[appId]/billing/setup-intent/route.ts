// POST /api/apps/:appId/billing/setup-intent – start saving a card with Stripe: a SetupIntent's client secret for Stripe Elements
import { NextResponse } from "next/server";
import { createCardSetup, requireStripeProvider } from "@/lib/billing/create-card-setup";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";

export const dynamic = "force-dynamic";

export const POST = withAppAccess<{ appId: string }>(async ({ access: { appId } }) => {
  return NextResponse.json(await createCardSetup(getDb(), requireStripeProvider(), { appId }));
}, { permissions: ["billing.manage"] });
