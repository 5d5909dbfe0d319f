// DELETE /api/admin/view-as – stop viewing as a customer (the one write allowed while viewing; audited)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { withSession } from "@/lib/http/with-session";
import { stopViewingAs } from "@/lib/tenancy/view-as";

export const dynamic = "force-dynamic";

export const DELETE = withSession(async ({ user }) => NextResponse.json(await stopViewingAs(getDb(), { actor: { id: user.id, email: user.email } })), { requireAdmin: true, allowWhileViewing: true });
