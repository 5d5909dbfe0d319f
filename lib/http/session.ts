// Session access for pages and route handlers (web layer: may import Next.js and next-auth).
import { getServerSession } from "next-auth";
import { notFound, redirect } from "next/navigation";
import { authOptions } from "@/lib/auth/auth-options";
import type { SessionUser } from "@/lib/auth/authenticate";

export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  return session?.user?.id ? session.user : null;
}

/** For pages: signed-out visitors go to the sign-in page. */
export async function requirePageUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect("/sign-in");
  return user;
}

/** For admin pages: anyone but a platform admin sees a plain not-found page. */
export async function requirePageAdmin(): Promise<SessionUser> {
  const user = await requirePageUser();
  if (!user.isPlatformAdmin) notFound();
  return user;
}
