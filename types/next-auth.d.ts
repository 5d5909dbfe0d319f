import type { SessionUser } from "@/lib/auth/authenticate";

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
  interface User {
    isPlatformAdmin: boolean;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId: string;
    isPlatformAdmin: boolean;
  }
}
