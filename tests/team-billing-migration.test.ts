// The migrations that make billing the team's (issue 27), each run on a database at the migration before
// it, filled with realistic data. Merging each team's per-app billing accounts into one: several teams'
// apps, balances, ledgers, card charges and corrections; every cent must end in the team's account, every
// ledger entry must keep its app, and the team's ledger must add up to its balance. Sharing the
// pay-as-you-go allowance: what existing periods were charged must stay what their usage costs.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase, type EmptyDatabase } from "./helpers/test-database";

const MIGRATION = "20261207163000_team_billing_accounts";
const ALLOWANCE_MIGRATION = "20261207163100_team_payg_allowance";
const migrationsDir = path.resolve(import.meta.dirname, "..", "prisma", "migrations");

/** Runs a migration file as the pg adapter does: one statement per `;`. */
async function runMigration(client: pg.Client, name: string): Promise<void> {
  const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
  for (const statement of sql.split(";")) if (statement.trim()) await client.query(statement);
}

/** A small deterministic generator, so the data is varied but every run is the same. */
function generator(seed: number) {
  let state = seed;
  return (max: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % max;
  };
}

interface SeededApp {
  id: string;
  tenantId: string;
  accountId: string;
  balanceMinor: number;
  entries: number;
  updatedAt: Date;
  card: string | null;
  autoRecharge: { enabled: boolean; thresholdMinor: number; amountMinor: number };
  ceilingMinor: number | null;
  deleted: boolean;
}

const TEAMS: Array<{ id: string; apps: number }> = [
  { id: "team_many", apps: 4 },
  { id: "team_one", apps: 1 },
  { id: "team_pair", apps: 2 },
  { id: "team_empty", apps: 0 },
];

async function seed(client: pg.Client): Promise<SeededApp[]> {
  const random = generator(27);
  await client.query(`INSERT INTO "Plan" ("id", "slug", "name", "kind", "updatedAt") VALUES ('plan_growth', 'growth', 'Growth', 'tiered', now())`);
  const apps: SeededApp[] = [];
  for (const team of TEAMS) {
    await client.query(`INSERT INTO "Tenant" ("id", "name") VALUES ($1, $2)`, [team.id, `Team ${team.id}`]);
    for (let index = 0; index < team.apps; index++) {
      const id = `${team.id}_app${index}`;
      const deleted = team.id === "team_many" && index === 3;
      await client.query(`INSERT INTO "App" ("id", "tenantId", "name", "planId", "updatedAt", "deletedAt") VALUES ($1, $2, $3, 'plan_growth', now(), $4)`, [
        id,
        team.id,
        `App ${index}`,
        deleted ? new Date("2026-11-20T00:00:00Z") : null,
      ]);
      const updatedAt = new Date(Date.UTC(2026, 10, 1 + random(28), random(24)));
      // The most recently updated account of team_many has no card: an older account's card is kept.
      const card = team.id === "team_pair" ? null : index === 1 && team.id === "team_many" ? null : `pm_test_${id}_424${index}`;
      const app: SeededApp = {
        id,
        tenantId: team.id,
        accountId: `ba_${id}`,
        balanceMinor: 0,
        entries: 0,
        updatedAt: team.id === "team_many" && index === 1 ? new Date("2026-12-01T00:00:00Z") : updatedAt,
        card,
        autoRecharge: { enabled: random(2) === 1, thresholdMinor: 100 + random(900), amountMinor: 1000 + random(9000) },
        ceilingMinor: random(3) === 0 ? null : 5000 + random(50000),
        deleted,
      };
      // The ledger: top-ups, usage debits (sharing batch ids across the team's apps), plan fees, a credit.
      let balance = 0;
      let at = Date.UTC(2026, 9, 1);
      const post = async (kind: string, amountMinor: number, reference: string | null) => {
        balance += amountMinor;
        at += 3_600_000 + random(3_600_000);
        app.entries++;
        await client.query(
          `INSERT INTO "LedgerEntry" ("id", "billingAccountId", "kind", "amountMinor", "balanceAfterMinor", "description", "reference", "createdAt")
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [`le_${id}_${app.entries}`, app.accountId, kind, amountMinor, balance, `${kind} ${amountMinor}`, reference, new Date(at)],
        );
      };
      await client.query(
        `INSERT INTO "BillingAccount" ("id", "appId", "balanceMinor", "autoRechargeEnabled", "autoRechargeThresholdMinor", "autoRechargeAmountMinor", "paymentMethodRef", "paymentMethodLast4", "updatedAt")
         VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8)`,
        [app.accountId, id, app.autoRecharge.enabled, app.autoRecharge.thresholdMinor, app.autoRecharge.amountMinor, card, card?.slice(-4) ?? null, app.updatedAt],
      );
      if (app.ceilingMinor !== null || index % 2 === 0) {
        await client.query(`INSERT INTO "AppSpendControls" ("appId", "monthlySpendCapMinor", "autoRechargeMonthlyCeilingMinor", "updatedAt") VALUES ($1, $2, $3, now())`, [
          id,
          index % 2 === 0 ? 25_000 : null,
          app.ceilingMinor,
        ]);
      }
      for (let step = 0; step < 30 + random(30); step++) {
        const roll = random(10);
        if (roll < 2) await post("top_up", 1000 + random(5000), `charge:top_up:${app.accountId}:${step}`);
        else if (roll < 8) await post("overage_debit", -(1 + random(777)), `batch_${team.id}_${step}`);
        else if (roll < 9) await post("plan_fee", -2900, `renewal:${id}:${step}:0`);
        else await post("credit", 1 + random(999), null);
      }
      // A card charge and an admin correction, re-pointed with the account.
      await client.query(
        `INSERT INTO "PaymentAttempt" ("id", "billingAccountId", "kind", "status", "amountMinor", "trigger", "idempotencyKey") VALUES ($1, $2, 'top_up', 'succeeded', 1000, 'dashboard', $3)`,
        [`pa_${id}`, app.accountId, `top_up:${app.accountId}:seed`],
      );
      await client.query(
        `INSERT INTO "BillingCorrection" ("id", "idempotencyKey", "kind", "status", "billingAccountId", "amountMinor", "reason") VALUES ($1, $2, 'credit', 'succeeded', $3, 100, 'goodwill')`,
        [`bc_${id}`, `correction:${id}`, app.accountId],
      );
      await client.query(`UPDATE "BillingAccount" SET "balanceMinor" = $1 WHERE "id" = $2`, [balance, app.accountId]);
      app.balanceMinor = balance;
      apps.push(app);
    }
  }
  return apps;
}

describe("the team billing account migration", () => {
  let database: EmptyDatabase;
  let client: pg.Client;
  let apps: SeededApp[];
  beforeAll(async () => {
    database = await createEmptyDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const previous = readdirSync(migrationsDir).filter((entry) => /^\d{14}_/.test(entry) && entry < MIGRATION).sort();
    for (const name of previous) await runMigration(client, name);
    apps = await seed(client);
    await runMigration(client, MIGRATION);
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await database?.dropDatabase();
  });

  const byTeam = (tenantId: string) => apps.filter((app) => app.tenantId === tenantId);

  it("leaves one account per team holding the sum of its apps' balances, to the cent", async () => {
    expect(apps.length).toBe(7);
    const { rows } = await client.query<{ tenantId: string; balanceMinor: number }>(`SELECT "tenantId", "balanceMinor" FROM "BillingAccount" ORDER BY "tenantId"`);
    expect(rows.map((row) => row.tenantId)).toEqual(["team_many", "team_one", "team_pair"]);
    for (const row of rows) {
      const before = byTeam(row.tenantId).reduce((sum, app) => sum + app.balanceMinor, 0);
      expect(row.balanceMinor).toBe(before);
    }
    // Not a trivial sum: the seeded balances differ in sign and size.
    expect(new Set(apps.map((app) => app.balanceMinor)).size).toBe(apps.length);
  });

  it("keeps every ledger entry with its app, and the team's ledger adds up to its balance", async () => {
    const { rows } = await client.query<{ tenantId: string; balanceMinor: number; sum: string; entries: string; lastAfter: number }>(`
      SELECT ba."tenantId", ba."balanceMinor", sum(le."amountMinor") AS "sum", count(le.*) AS "entries",
             (SELECT l2."balanceAfterMinor" FROM "LedgerEntry" l2 WHERE l2."billingAccountId" = ba."id" ORDER BY l2."createdAt" DESC, l2."id" DESC LIMIT 1) AS "lastAfter"
      FROM "BillingAccount" ba JOIN "LedgerEntry" le ON le."billingAccountId" = ba."id" GROUP BY ba."id"`);
    for (const row of rows) {
      expect(Number(row.sum)).toBe(row.balanceMinor);
      expect(row.lastAfter).toBe(row.balanceMinor);
      expect(Number(row.entries)).toBe(byTeam(row.tenantId).reduce((sum, app) => sum + app.entries, 0));
    }
    for (const app of apps) {
      const { rows: own } = await client.query<{ sum: string; count: string }>(`SELECT sum("amountMinor") AS "sum", count(*) AS "count" FROM "LedgerEntry" WHERE "appId" = $1`, [app.id]);
      expect({ sum: Number(own[0]?.sum), count: Number(own[0]?.count) }).toEqual({ sum: app.balanceMinor, count: app.entries });
    }
  });

  it("keeps references unique per account by naming the app where one usage batch charged several", async () => {
    const { rows } = await client.query<{ reference: string; appId: string }>(`SELECT "reference", "appId" FROM "LedgerEntry" WHERE "reference" LIKE 'batch_team_many_%'`);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.some((row) => row.reference.endsWith(`:${row.appId}`))).toBe(true);
    const { rows: duplicates } = await client.query(`SELECT "billingAccountId", "reference" FROM "LedgerEntry" WHERE "reference" IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1`);
    expect(duplicates).toEqual([]);
  });

  it("re-points card charges and corrections to the team's account", async () => {
    for (const table of ["PaymentAttempt", "BillingCorrection"]) {
      const { rows } = await client.query<{ id: string; tenantId: string }>(`SELECT t."id", ba."tenantId" FROM "${table}" t JOIN "BillingAccount" ba ON ba."id" = t."billingAccountId"`);
      expect(rows).toHaveLength(apps.length);
      for (const row of rows) expect(apps.find((app) => row.id.endsWith(app.id))?.tenantId).toBe(row.tenantId);
    }
  });

  it("keeps the most recently updated account's auto-recharge and ceiling, and the newest card on file", async () => {
    for (const tenantId of ["team_many", "team_one", "team_pair"]) {
      const team = byTeam(tenantId);
      const newest = [...team].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0];
      const newestCard = [...team].filter((app) => app.card).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0]?.card ?? null;
      const { rows } = await client.query(
        `SELECT "id", "autoRechargeEnabled", "autoRechargeThresholdMinor", "autoRechargeAmountMinor", "autoRechargeMonthlyCeilingMinor", "paymentMethodRef", "paymentMethodLast4" FROM "BillingAccount" WHERE "tenantId" = $1`,
        [tenantId],
      );
      expect(rows[0]).toEqual({
        id: newest?.accountId,
        autoRechargeEnabled: newest?.autoRecharge.enabled,
        autoRechargeThresholdMinor: newest?.autoRecharge.thresholdMinor,
        autoRechargeAmountMinor: newest?.autoRecharge.amountMinor,
        autoRechargeMonthlyCeilingMinor: newest?.ceilingMinor,
        paymentMethodRef: newestCard,
        paymentMethodLast4: newestCard?.slice(-4) ?? null,
      });
    }
    // team_many's newest account had no card: the card comes from an older one.
    const { rows } = await client.query(`SELECT "paymentMethodRef" FROM "BillingAccount" WHERE "tenantId" = 'team_many'`);
    expect(rows[0]?.paymentMethodRef).toMatch(/^pm_test_team_many_app\d_424\d$/);
  });

  it("keeps the per-app spend caps on the apps", async () => {
    const { rows } = await client.query<{ appId: string; monthlySpendCapMinor: number | null }>(`SELECT "appId", "monthlySpendCapMinor" FROM "AppSpendControls" ORDER BY "appId"`);
    expect(rows.filter((row) => row.monthlySpendCapMinor === 25_000).map((row) => row.appId)).toEqual(apps.filter((app) => Number(app.id.slice(-1)) % 2 === 0).map((app) => app.id).sort());
  });
});

describe("the team pay-as-you-go allowance migration", () => {
  let database: EmptyDatabase;
  let client: pg.Client;
  const FREE_MINUTES = 100_000;
  const FREE_DELIVERED = 1_000_000;
  const FREE_EGRESS = 1_000_000_000;
  beforeAll(async () => {
    database = await createEmptyDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (const name of readdirSync(migrationsDir).filter((entry) => /^\d{14}_/.test(entry) && entry < ALLOWANCE_MIGRATION).sort()) await runMigration(client, name);
    await client.query(
      `INSERT INTO "Plan" ("id", "slug", "name", "kind", "freeConnectionMinutes", "freeDeliveredMessages", "freeEgressBytes", "updatedAt")
       VALUES ('plan_payg', 'payg', 'Pay as you go', 'pay_as_you_go', $1, $2, $3, now()), ('plan_starter', 'starter', 'Starter', 'tiered', 0, 0, 0, now())`,
      [FREE_MINUTES, FREE_DELIVERED, FREE_EGRESS],
    );
    await client.query(`INSERT INTO "Tenant" ("id", "name") VALUES ('team_payg', 'Payg team')`);
    await client.query(`INSERT INTO "BillingAccount" ("id", "tenantId", "updatedAt") VALUES ('ba_payg', 'team_payg', now())`);
    // Two pay-as-you-go apps in their current periods (one past its allowance, one within), one on Starter,
    // and a pay-as-you-go app's past period.
    const apps: [string, string, number, number, number][] = [
      ["app_over", "plan_payg", 150_000, 1_200_000, 300_000],
      ["app_within", "plan_payg", 20_000, 50_000, 1_000],
      ["app_tiered", "plan_starter", 500_000, 9_000_000, 900_000],
    ];
    for (const [id, planId, minutes, delivered, blocks] of apps) {
      await client.query(`INSERT INTO "App" ("id", "tenantId", "name", "planId", "updatedAt") VALUES ($1, 'team_payg', $1, $2, now())`, [id, planId]);
      await client.query(
        `INSERT INTO "UsagePeriod" ("id", "appId", "start", "end", "connectionMinutes", "deliveredMessages", "egressBlocks", "updatedAt")
         VALUES ($1, $2, now() - interval '3 days', now() + interval '27 days', $3, $4, $5, now())`,
        [`up_${id}`, id, minutes, delivered, blocks],
      );
    }
    await client.query(
      `INSERT INTO "UsagePeriod" ("id", "appId", "start", "end", "connectionMinutes", "deliveredMessages", "egressBlocks", "updatedAt")
       VALUES ('up_old', 'app_over', now() - interval '33 days', now() - interval '3 days', 400000, 10, 0, now())`,
    );
    await runMigration(client, ALLOWANCE_MIGRATION);
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await database?.dropDatabase();
  });

  it("records each pay-as-you-go period as having taken its plan's allowance up to its use, so its charges stay what its usage costs", async () => {
    const { rows } = await client.query(`SELECT "id", "freeConnectionMinutes", "freeDeliveredMessages", "freeEgressBytes" FROM "UsagePeriod" ORDER BY "id"`);
    expect(rows.map((row) => [row.id, Number(row.freeConnectionMinutes), Number(row.freeDeliveredMessages), Number(row.freeEgressBytes)])).toEqual([
      // Past the allowance: took all of it (charged beyond it, as before).
      ["up_app_over", FREE_MINUTES, FREE_DELIVERED, FREE_EGRESS],
      // Within it: took exactly what it used (charged nothing, as before).
      ["up_app_tiered", 0, 0, 0],
      ["up_app_within", 20_000, 50_000, 1_000 * 4096],
      ["up_old", FREE_MINUTES, 10, 0],
    ]);
  });

  it("counts what the team's current periods took as this month's use of the team's allowance", async () => {
    const { rows } = await client.query(`SELECT "billingAccountId", "connectionMinutes", "deliveredMessages", "egressBytes" FROM "TeamAllowanceUse"`);
    expect(rows.map((row) => [row.billingAccountId, Number(row.connectionMinutes), Number(row.deliveredMessages), Number(row.egressBytes)])).toEqual([
      ["ba_payg", FREE_MINUTES + 20_000, FREE_DELIVERED + 50_000, FREE_EGRESS + 1_000 * 4096],
    ]);
  });
});
