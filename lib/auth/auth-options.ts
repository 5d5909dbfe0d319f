// next-auth configuration: email + password credentials, JWT sessions carrying the user id and admin flag.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { clientAddress } from "@/lib/http/client-address";
import { authenticate } from "./authenticate";
import { safeRedirectUrl } from "./safe-callback";

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
            ip: clientAddress(req.headers),
          });
          return user ? { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin } : null;
        } catch (error) {
          // next-auth shows a thrown Error's message as the sign-in error; rate limits surface that way.
          if (error instanceof DomainError && error.code === "rate_limited") throw new Error(error.message);
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    redirect({ url, baseUrl }) {
      return safeRedirectUrl(url, baseUrl);
    },
    jwt({ token, user }) {
      if (user) {
        token.userId = user.id;
        token.isPlatformAdmin = user.isPlatformAdmin;
      }
      return token;
    },
    session({ session, token }) {
      session.user = {
        id: token.userId,
        email: token.email ?? "",
        name: token.name ?? null,
        isPlatformAdmin: token.isPlatformAdmin,
      };
      return session;
    },
  },
};
