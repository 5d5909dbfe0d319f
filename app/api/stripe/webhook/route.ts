// POST /api/stripe/webhook – Stripe's events (payment_intent.*, charge.refunded, setup_intent.succeeded)
// Not behind the session and same-site wrappers: Stripe's servers call it, with no cookie and no Origin.
// The Stripe-Signature header is the credential (HMAC of the raw body with STRIPE_WEBHOOK_SECRET, checked
// by the SDK, timestamps older than five minutes refused): an unsigned or altered body is answered 400
// and nothing in it is read. docs/security.md lists it among the routes without a session.
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { handleStripeEvent } from "@/lib/billing/handle-stripe-event";
import { getStripeProvider } from "@/lib/billing/stripe-provider";
import { getDb } from "@/lib/db";
import { errorResponse, handleApiError } from "@/lib/http/handle-api-error";
import { noStore } from "@/lib/http/no-store";
import { readCappedText } from "@/lib/http/read-capped-body";
import { DomainError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** Stripe's events are a few KB; a charge with its expansions stays well under this. */
const STRIPE_WEBHOOK_MAX_BYTES = 256 * 1024;

export async function POST(req: NextRequest): Promise<Response> {
  const stripe = getStripeProvider();
  if (!stripe) return noStore(errorResponse(404, { error: "not_found", message: "Stripe is not configured" }));
  let event;
  try {
    const body = await readCappedText(req, STRIPE_WEBHOOK_MAX_BYTES);
    event = stripe.constructWebhookEvent(body, req.headers.get("stripe-signature") ?? "");
  } catch (error) {
    if (error instanceof DomainError) return noStore(handleApiError(error));
    return noStore(errorResponse(400, { error: "invalid_signature", message: "The Stripe-Signature header does not match the body" }));
  }
  try {
    const outcome = await handleStripeEvent(getDb(), stripe, event);
    // A charge still in its process's hands: Stripe delivers the event again later, when it is settled or abandoned.
    if (outcome === "in_progress") return noStore(NextResponse.json({ received: true, outcome }, { status: 409 }));
    return noStore(NextResponse.json({ received: true, outcome }));
  } catch (error) {
    // Stripe retries any failure for three days: a fault on our side (the database, Stripe's API) is
    // answered 503 so the event comes again, and logged without the event's contents.
    console.error(JSON.stringify({ level: "error", msg: "stripe webhook failed", eventId: event.id, type: event.type, error: error instanceof Error ? error.message : String(error) }));
    return noStore(errorResponse(503, { error: "unavailable", message: "The event could not be processed now; Stripe will deliver it again" }, { "Retry-After": "60" }));
  }
}
