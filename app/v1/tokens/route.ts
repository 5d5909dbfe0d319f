// POST /v1/tokens – mint an HS256 connection token for one peer
import { NextResponse } from "next/server";
import { withApiKey } from "@/lib/http/with-api-key";
import { mintToken } from "@/lib/tokens/mint-token";
import { mintTokenRequestSchema } from "@/lib/tokens/mint-token.types";

export const dynamic = "force-dynamic";

export const POST = withApiKey(async ({ key, body }) => {
  const request = mintTokenRequestSchema.parse(body ?? {});
  return NextResponse.json(await mintToken({ key, request }));
});
