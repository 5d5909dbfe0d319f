// GET /api/internal/relay/changes?since=<cursor> – the apps whose enforcement state changed after the cursor (relay only)
import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { withRelaySecret } from "@/lib/http/with-relay-secret";
import { decodeFeedCursor, relayChangesSince } from "@/lib/relay/relay-feed";
import { text } from "@/lib/validation/text";

export const dynamic = "force-dynamic";

const querySchema = z.object({ since: text().min(1).max(160).optional() });

export const GET = withRelaySecret(async ({ req }) => {
  const query = querySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  const since = query.since === undefined ? null : decodeFeedCursor(query.since);
  if (query.since !== undefined && since === null) throw new DomainError("invalid_request", "since is not a cursor from this feed", { field: "since" });
  return NextResponse.json(await relayChangesSince(getDb(), since));
});
