/** @type {import('next').NextConfig} */
const nextConfig = {
  // The relay package is TypeScript source shared with the app (protocol constants, internal API schemas).
  transpilePackages: ["@tollgate/relay"],
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "bcryptjs"],
  poweredByHeader: false,
};

export default nextConfig;
