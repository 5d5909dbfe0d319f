// GET /api/apps/:appId/connections?limit= – the relays' open connections of the app and recent closes
import { connectionsQuerySchema } from "@tollgate/relay/protocol";
import { NextResponse } from "next/server";
import { listLiveConnections } from "@/lib/connections/live-connections";
import { withAppAccess } from "@/lib/http/with-app-access";
import { getRelayClient } from "@/lib/relay/get-relay-client";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ req, access: { appId } }) => {
  const query = connectionsQuerySchema.parse({ limit: req.nextUrl.searchParams.get("limit") ?? undefined });
  return NextResponse.json(await listLiveConnections(getRelayClient(), { appId, query }));
}, { permissions: ["usage.read"] });
