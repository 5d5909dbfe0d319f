// POST /api/internal/relay/app-states – the enforcement state of the app a key id names, or of a few app ids (relay only)
import { appStateRequestSchema } from "@tollgate/relay/protocol";
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { databaseNow } from "@/lib/db-clock";
import { getServerEnv } from "@/lib/env";
import { readRelayJson, withRelaySecret } from "@/lib/http/with-relay-secret";
import { loadRelayAppStates } from "@/lib/relay/load-app-states";

export const dynamic = "force-dynamic";

export const POST = withRelaySecret(async ({ req }) => {
  const request = appStateRequestSchema.parse(await readRelayJson(req));
  // The database's clock, so relays compare the answer's time with usage acknowledgements from any replica.
  const now = await databaseNow(getDb());
  return NextResponse.json(await loadRelayAppStates(getDb(), request, { encryptionKey: getServerEnv().KEY_ENCRYPTION_KEY, now }));
});
