// Idempotent seed: the plan catalog, the platform admin, and (SEED_DEMO=1: the launcher's embedded default,
// or when asked) a demo tenant with one Free app and two keys. Writes the demo credentials to
// .data/demo-credentials.json so a newcomer (and the tests) can connect at once.
import { mkdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createApp } from "@/lib/apps/create-app";
import type { DemoCredentials } from "@/lib/apps/demo-credentials";
import { signUp } from "@/lib/auth/sign-up";
import { createPrismaClient, type Db } from "@/lib/db";
import { createApiKey } from "@/lib/keys/create-api-key";
import { PLAN_CATALOG } from "@/lib/plans/plan-catalog";
import { closeRelayNotifier } from "@/lib/relay/notify-relays";

const DEMO_EMAIL = "demo@tollgate.local";
const DEMO_PASSWORD = "tollgate-demo";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function seedDemo(db: Db, encryptionKey: string) {
  const dataDir = process.env.TOLLGATE_DATA_DIR ?? ".data";
  const credentialsPath = path.join(dataDir, "demo-credentials.json");
  const webUrl = process.env.NEXTAUTH_URL ?? `http://localhost:${process.env.PORT ?? "3000"}`;
  const relayUrl = process.env.RELAY_PUBLIC_URL ?? `ws://127.0.0.1:${process.env.RELAY_PORT ?? "8080"}`;
  let demoUser = await db.user.findUnique({ where: { email: DEMO_EMAIL }, select: { id: true } });
  if (!demoUser) {
    demoUser = (await signUp(db, { email: DEMO_EMAIL, password: DEMO_PASSWORD, name: "Demo", tenantName: "Demo tenant" })).user;
  }
  const membership = await db.membership.findFirstOrThrow({ where: { userId: demoUser.id }, select: { tenantId: true } });

  const previous = existsSync(credentialsPath) ? (JSON.parse(readFileSync(credentialsPath, "utf8")) as DemoCredentials) : null;
  const previousStillValid =
    previous &&
    (await db.apiKey.count({ where: { id: { in: [previous.secretKey.id, previous.publishableKey] }, revokedAt: null, app: { id: previous.appId } } })) === 2;

  let credentials: DemoCredentials;
  if (previous && previousStillValid) {
    credentials = { ...previous, webUrl, relayUrl };
  } else {
    const existingApp = await db.app.findFirst({ where: { tenantId: membership.tenantId, name: "Demo app" }, select: { id: true } });
    const app = existingApp ?? (await createApp(db, { tenantId: membership.tenantId, name: "Demo app", actorId: demoUser.id }));
    const secretKey = await createApiKey(db, { appId: app.id, kind: "secret", name: "Demo secret key", encryptionKey, createdById: demoUser.id });
    const publishableKey = await createApiKey(db, { appId: app.id, kind: "publishable", name: "Demo publishable key", encryptionKey, createdById: demoUser.id });
    credentials = {
      webUrl,
      relayUrl,
      appId: app.id,
      secretKey: { id: secretKey.id, secret: secretKey.secret ?? "" },
      publishableKey: publishableKey.id,
      dashboard: { email: DEMO_EMAIL, password: DEMO_PASSWORD },
    };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  console.log(`Demo app ${credentials.appId}: credentials in ${credentialsPath} (dashboard: ${DEMO_EMAIL} / ${DEMO_PASSWORD})`);
}

async function main() {
  const db = createPrismaClient(required("DATABASE_URL"));
  const encryptionKey = required("KEY_ENCRYPTION_KEY");
  try {
    for (const plan of PLAN_CATALOG) {
      await db.plan.upsert({ where: { slug: plan.slug }, create: plan, update: {} });
    }

    const adminEmail = (process.env.ADMIN_EMAIL ?? "admin@tollgate.local").toLowerCase();
    if (!(await db.user.findUnique({ where: { email: adminEmail } }))) {
      // No default here: the launcher passes the embedded default's well-known one, production its own.
      await signUp(db, { email: adminEmail, password: required("ADMIN_PASSWORD"), name: "Platform admin", tenantName: "Tollgate operators", isPlatformAdmin: true });
      console.log(`Created platform admin ${adminEmail} (password from ADMIN_PASSWORD)`);
    }
    if (process.env.SEED_DEMO === "1") await seedDemo(db, encryptionKey);
  } finally {
    await closeRelayNotifier();
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
