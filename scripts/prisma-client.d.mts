// Types of scripts/prisma-client.mjs for the TypeScript tests that use it.
export declare function prismaClientPaths(root: string): { schema: string; client: string; stamp: string; lockDir: string };

export declare function generatePrismaClientIfNeeded(
  root: string,
  generate: () => unknown,
  lockOptions?: { staleAfterMs?: number; pollMs?: number },
): Promise<boolean>;
