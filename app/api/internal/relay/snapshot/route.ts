// GET /api/internal/relay/snapshot – every app's limits, billing, period, usage baseline and keys (relay only; a read: renewals are jobs)
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { databaseNow } from "@/lib/db-clock";
import { getServerEnv } from "@/lib/env";
import { withRelaySecret } from "@/lib/http/with-relay-secret";
import { buildRelaySnapshot } from "@/lib/snapshot/build-relay-snapshot";

export const dynamic = "force-dynamic";

function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((candidate) => {
    const value = candidate.trim().replace(/^W\//, "");
    return value === etag || value === "*";
  });
}

export const GET = withRelaySecret(async ({ req }) => {
  // The database's clock, so relays compare its generation time with usage acknowledgements from any replica.
  const now = await databaseNow(getDb());
  const snapshot = await buildRelaySnapshot(getDb(), { encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY, now });
  const etag = `"${snapshot.version}"`;
  // Signing secrets are in this body: no cache anywhere may keep it.
  const headers = { ETag: etag, "Cache-Control": "no-store" };
  if (etagMatches(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  return NextResponse.json(snapshot, { headers });
});
