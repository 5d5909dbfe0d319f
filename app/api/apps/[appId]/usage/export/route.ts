// GET /api/apps/:appId/usage/export?from=YYYY-MM-DD&to=YYYY-MM-DD – usage per UTC day as CSV (both days included)
import { attachment } from "@/lib/billing/billing.types";
import { getDb } from "@/lib/db";
import { withAppAccess } from "@/lib/http/with-app-access";
import { usageCsv, usageExportQuerySchema } from "@/lib/usage/usage-export";

export const dynamic = "force-dynamic";

export const GET = withAppAccess<{ appId: string }>(async ({ req, access: { appId } }) => {
  const range = usageExportQuerySchema.parse({ from: req.nextUrl.searchParams.get("from") ?? undefined, to: req.nextUrl.searchParams.get("to") ?? undefined });
  const { csv, filename } = await usageCsv(getDb(), { appId, range });
  return attachment(csv, { contentType: "text/csv; charset=utf-8", filename });
}, { permissions: ["usage.read"] });
