// Types of scripts/embedded-postgres.mjs for the TypeScript tests and helpers that use it.
import type { ChildProcess } from "node:child_process";

export declare const EMBEDDED_DATABASE_NAME: string;

export declare function embeddedDatabaseUrl(options: { port: number; password: string }): string;

export interface EmbeddedPostgresTimings {
  /** null when the cluster existed already. */
  initialiseMs: number | null;
  startMs: number;
}

export interface EmbeddedPostgresProcess {
  child: ChildProcess;
  ready: Promise<EmbeddedPostgresTimings>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(timeoutMs?: number): Promise<void>;
}

export declare function spawnEmbeddedPostgres(options: {
  clusterDir: string;
  port: number;
  password: string;
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}): EmbeddedPostgresProcess;
