// next-auth configuration: email + password credentials, JWT sessions carrying the user id and admin flag.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { clientLimitKey } from "@/lib/http/client-address";
import { authenticate } from "./authenticate";
import { safeRedirectUrl } from "./safe-callback";
import { refreshSessionClaims, SessionRevokedError } from "./session-version";

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
  pages: { signIn: "/sign-in" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        try {
          const user = await authenticate(getDb(), {
            email: credentials.email,
            password: credentials.password,
            ip: clientLimitKey(req.headers),
          });
          return user ? { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin, sessionVersion: user.sessionVersion } : null;
        } catch (error) {
          // next-auth shows a thrown Error's message as the sign-in error; rate limits surface that way.
          if (error instanceof DomainError && error.code === "rate_limited") throw new Error(error.message);
          throw error;
        }
      },
    }),
  ],
  // A revoked session is an expected outcome, not an error worth a stack trace on every request.
  logger: {
    error(code, metadata) {
      const error: unknown = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
      if (error instanceof SessionRevokedError) return;
      console.error(JSON.stringify({ level: "error", msg: "next-auth error", code, error: error instanceof Error ? error.message : String(error ?? "") }));
    },
  },
  callbacks: {
    redirect({ url, baseUrl }) {
      return safeRedirectUrl(url, baseUrl);
    },
    // Runs at sign-in (with `user`) and on every session read. Throwing ends the session: next-auth
    // answers an empty session and clears the cookie (lib/auth/session-version.ts says when).
    async jwt({ token, user }) {
      if (user) {
        token.userId = user.id;
        token.isPlatformAdmin = user.isPlatformAdmin;
        token.sessionVersion = user.sessionVersion;
        return token;
      }
      const claims = await refreshSessionClaims(getDb(), token);
      token.email = claims.email;
      token.name = claims.name;
      token.isPlatformAdmin = claims.isPlatformAdmin;
      token.viewingTenantId = claims.viewingTenantId;
      return token;
    },
    session({ session, token }) {
      session.user = {
        id: token.userId,
        email: token.email ?? "",
        name: token.name ?? null,
        isPlatformAdmin: token.isPlatformAdmin,
        viewingTenantId: token.viewingTenantId ?? null,
      };
      return session;
    },
  },
};
