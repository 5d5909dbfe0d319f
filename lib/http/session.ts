// Session access for pages and route handlers (web layer: may import Next.js and next-auth).
import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { authOptions } from "@/lib/auth/auth-options";
import type { SessionUser } from "@/lib/auth/authenticate";
import { PAGE_PATH_HEADER, signInPathFor } from "@/lib/auth/safe-callback";

export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  return session?.user?.id ? session.user : null;
}

/** For pages: signed-out visitors go to the sign-in page, which brings them back to the page they asked for. */
export async function requirePageUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect(signInPathFor((await headers()).get(PAGE_PATH_HEADER)));
  return user;
}

/** For admin pages: anyone but a platform admin sees a plain not-found page. */
export async function requirePageAdmin(): Promise<SessionUser> {
  const user = await requirePageUser();
  if (!user.isPlatformAdmin) notFound();
  return user;
}
