// Security headers on every answer (docs/security.md): no other site may frame any page (clickjacking)
// or guess content types. Pages get their Content-Security-Policy, with a fresh script nonce, from
// proxy.ts; the fixed one here covers the API and build assets, which are not documents.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

const securityHeaders = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The relay package is TypeScript source shared with the app (protocol constants, internal API schemas).
  transpilePackages: ["@tollgate/relay"],
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "bcryptjs", "pdfkit"],
  poweredByHeader: false,
  async headers() {
    const apiPolicy = [{ key: "Content-Security-Policy", value: apiContentSecurityPolicy }];
    return [
      { source: "/:path*", headers: securityHeaders },
      // A document answer (the printable invoice, ?format=html) brings its own policy, with its nonce:
      // a header set here would take precedence over it.
      { source: "/api/:path*", missing: [{ type: "query", key: "format", value: "html" }], headers: apiPolicy },
      { source: "/v1/:path*", headers: apiPolicy },
      { source: "/_next/static/:path*", headers: apiPolicy },
    ];
  },
};

export default nextConfig;
