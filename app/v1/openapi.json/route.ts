// GET /v1/openapi.json – the OpenAPI 3.1 document of /v1, generated from the handlers' zod schemas
import { NextResponse, type NextRequest } from "next/server";
import { buildOpenApiDocument } from "@/lib/v1/openapi";

export const dynamic = "force-dynamic";

export function GET(req: NextRequest) {
  return NextResponse.json(buildOpenApiDocument(req.nextUrl.origin));
}
