// GET|POST /api/auth/* – next-auth (sign in, sign out, session)
import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { authOptions } from "@/lib/auth/auth-options";
import { handleApiError } from "@/lib/http/handle-api-error";
import { noStore } from "@/lib/http/no-store";
import { readCappedText } from "@/lib/http/read-capped-body";

type Context = { params: Promise<{ nextauth: string[] }> };

const handler = NextAuth(authOptions);

/** next-auth would read a form of any size: it gets the body only once it is within the dashboard's cap. */
export async function POST(req: NextRequest, context: Context): Promise<Response> {
  let body: string;
  try {
    body = await readCappedText(req);
  } catch (error) {
    return noStore(handleApiError(error));
  }
  return handler(new NextRequest(req.url, { method: req.method, headers: req.headers, body }), context);
}

export { handler as GET };
