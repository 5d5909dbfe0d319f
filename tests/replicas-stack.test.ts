// Two web replicas started as documented (`npm start`, then `npm run start:web` against the same
// database, Redis and secrets) hold every limit as one process does: sign-in throttling and the /v1
// per-key rate count in Redis, not per replica.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Stack, startStack } from "./helpers/stack";

const root = path.resolve(import.meta.dirname, "..");
const RATE_PER_SECOND = 5;
const sharedEnv = {
  REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_KEY_PREFIX: `test-replicas-${randomBytes(4).toString("hex")}:`,
  API_RATE_LIMIT_PER_SECOND: String(RATE_PER_SECOND),
};

let stack: Stack;
let replica: ChildProcess;
let replicaUrl: string;

beforeAll(async () => {
  stack = await startStack({ env: sharedEnv });
  const port = await freePort();
  replicaUrl = `http://127.0.0.1:${port}`;
  replica = spawn(process.execPath, [path.join(root, "scripts", "start.mjs"), "--web-only"], {
    cwd: root,
    env: {
      ...process.env,
      ...stack.secrets,
      ...sharedEnv,
      DATABASE_URL: stack.databaseUrl,
      PORT: String(port),
      NEXTAUTH_URL: replicaUrl,
      TOLLGATE_DATA_DIR: stack.dataDir,
      RELAY_INTERNAL_URL: stack.relayInternalUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica not ready:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("web replica running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    replica.stdout?.on("data", onData);
    replica.stderr?.on("data", onData);
    replica.once("exit", (code) => reject(new Error(`replica exited with ${code}:\n${output}`)));
  });
}, 240_000);

afterAll(async () => {
  if (replica && replica.exitCode === null) {
    const exited = new Promise((resolve) => replica.once("exit", resolve));
    replica.kill("SIGTERM");
    await exited;
  }
  await stack?.stop();
});

async function wrongSignIn(baseUrl: string, email: string): Promise<string | null> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const cookie = csrf.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ csrfToken, email, password: "not-the-password", json: "true" }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as { url?: string };
  return body.url ? new URL(body.url).searchParams.get("error") : null;
}

describe("two web replicas", () => {
  it("throttle sign-in failures alternated between them at the same count as one process", async () => {
    const email = `replica-${randomUUID()}@test.local`;
    const signUp = await fetch(`${stack.webUrl}/api/auth/sign-up`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "a-good-password" }) });
    expect(signUp.status).toBe(201);
    const errors: (string | null)[] = [];
    for (let attempt = 0; attempt < 10; attempt++) errors.push(await wrongSignIn(attempt % 2 === 0 ? stack.webUrl : replicaUrl, email));

    // One process: five free failures per address and account, the sixth locks, the seventh waits.
    const firstThrottled = errors.findIndex((error) => error?.includes("Too many sign-in attempts"));
    expect(errors.slice(0, 6).every((error) => error === "CredentialsSignin")).toBe(true);
    expect(firstThrottled).toBe(6);
  });

  it("admit a /v1 burst on one key alternated between them at the single-process rate", async () => {
    const { id, secret } = stack.demo.secretKey;
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`${i % 2 === 0 ? stack.webUrl : replicaUrl}/v1/usage`, { headers: { authorization: `Bearer ${id}:${secret}` } }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      ),
    );
    const elapsedSec = (performance.now() - started) / 1000;
    const admitted = statuses.filter((status) => status === 200).length;
    // One bucket: a burst of twice the rate, plus what refills while the burst runs.
    expect(admitted).toBeGreaterThanOrEqual(2 * RATE_PER_SECOND);
    expect(admitted).toBeLessThanOrEqual(2 * RATE_PER_SECOND + Math.ceil(elapsedSec * RATE_PER_SECOND) + 1);
    expect(statuses.filter((status) => status === 429).length).toBe(60 - admitted);
  });
});
