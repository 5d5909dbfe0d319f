// POST /api/internal/relay/usage – apply a relay's usage batch exactly once (relay only)
import { usageBatchSchema } from "@tollgate/relay/protocol";
import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { readRelayJson, withRelaySecret } from "@/lib/http/with-relay-secret";
import { applyUsageBatch } from "@/lib/usage/apply-usage-batch";

export const dynamic = "force-dynamic";

export const POST = withRelaySecret(async ({ req }) => {
  const batch = usageBatchSchema.parse(await readRelayJson(req));
  return NextResponse.json(await applyUsageBatch(getDb(), batch));
});
