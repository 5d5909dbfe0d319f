import type { SessionUser } from "@/lib/auth/authenticate";

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
  interface User {
    isPlatformAdmin: boolean;
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId: string;
    isPlatformAdmin: boolean;
    /** Must equal the user's sessionVersion, or the session is over (lib/auth/session-version.ts). */
    sessionVersion: number;
    /** Re-read on every request: the tenant a platform admin views as, read-only. */
    viewingTenantId?: string | null;
  }
}
