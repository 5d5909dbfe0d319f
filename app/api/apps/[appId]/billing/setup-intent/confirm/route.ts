// POST /api/apps/:appId/billing/setup-intent/confirm – store the card a SetupIntent confirmed in the browser (read back from Stripe)
import { NextResponse } from "next/server";
import { confirmCardSetupSchema } from "@/lib/billing/card-setup.types";
import { requireStripeProvider } from "@/lib/billing/create-card-setup";
import { saveSetupIntentCard } from "@/lib/billing/save-setup-intent-card";
import { getDb } from "@/lib/db";
import { actorOf } from "@/lib/http/actor";
import { withAppAccess } from "@/lib/http/with-app-access";
import { readJson } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

export const POST = withAppAccess<{ appId: string }>(async ({ req, user, access: { appId } }) => {
  const { setupIntentId } = confirmCardSetupSchema.parse(await readJson(req));
  const saved = await saveSetupIntentCard(getDb(), requireStripeProvider(), { setupIntentId, actor: actorOf(user), appId });
  return NextResponse.json({ paymentMethod: saved.paymentMethod });
}, { permissions: ["billing.manage"] });
