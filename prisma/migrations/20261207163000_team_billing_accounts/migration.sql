-- One billing account per team (issue 27): the per-app accounts of a team merge into one.
-- Every statement runs as its own step (the adapter splits on semicolons), so none holds one inside.

-- New columns, filled before the constraints go on
ALTER TABLE "BillingAccount" ADD COLUMN "tenantId" TEXT,
ADD COLUMN "autoRechargeMonthlyCeilingMinor" INTEGER,
ADD COLUMN "monthlySpendCapMinor" INTEGER;

ALTER TABLE "LedgerEntry" ADD COLUMN "appId" TEXT;

UPDATE "BillingAccount" AS ba SET "tenantId" = a."tenantId" FROM "App" AS a WHERE a."id" = ba."appId";

-- Every entry keeps the app it was made for, so the team's invoice still has a line per app
UPDATE "LedgerEntry" AS le SET "appId" = ba."appId" FROM "BillingAccount" AS ba WHERE ba."id" = le."billingAccountId";

-- The account each one merges into: the team's most recently updated account (its auto-recharge
-- settings are the team's from now on). Accounts of deleted apps merge too (every cent is kept).
CREATE TABLE "_TeamAccountMerge" AS
SELECT ba."id" AS "fromId",
       first_value(ba."id") OVER (PARTITION BY ba."tenantId" ORDER BY ba."updatedAt" DESC, ba."id" DESC) AS "toId",
       ba."tenantId" AS "tenantId"
FROM "BillingAccount" AS ba;

-- The card kept: the most recently updated account's that has one
CREATE TABLE "_TeamCard" AS
SELECT DISTINCT ON (ba."tenantId") ba."tenantId", ba."paymentMethodRef", ba."paymentMethodBrand", ba."paymentMethodLast4"
FROM "BillingAccount" AS ba
WHERE ba."paymentMethodRef" IS NOT NULL
ORDER BY ba."tenantId", ba."updatedAt" DESC, ba."id" DESC;

-- References are unique per account: one usage batch debited several apps of a team under the same
-- batch id, so those get the app id appended before their accounts merge
UPDATE "LedgerEntry" AS le SET "reference" = le."reference" || ':' || le."appId"
FROM (
  SELECT e."id", count(*) OVER (PARTITION BY m."toId", e."reference") AS "sharing"
  FROM "LedgerEntry" AS e JOIN "_TeamAccountMerge" AS m ON m."fromId" = e."billingAccountId"
  WHERE e."reference" IS NOT NULL
) AS d
WHERE d."id" = le."id" AND d."sharing" > 1;

-- The team's balance: the sum of its accounts, to the cent
UPDATE "BillingAccount" AS ba SET "balanceMinor" = s."total"
FROM (
  SELECT m."toId", sum(b."balanceMinor")::INTEGER AS "total"
  FROM "_TeamAccountMerge" AS m JOIN "BillingAccount" AS b ON b."id" = m."fromId"
  GROUP BY m."toId"
) AS s
WHERE ba."id" = s."toId";

UPDATE "BillingAccount" AS ba SET "paymentMethodRef" = c."paymentMethodRef", "paymentMethodBrand" = c."paymentMethodBrand", "paymentMethodLast4" = c."paymentMethodLast4"
FROM "_TeamCard" AS c WHERE c."tenantId" = ba."tenantId" AND ba."id" IN (SELECT "toId" FROM "_TeamAccountMerge");

-- The auto-recharge ceiling moves to the team, from the app whose account is kept
UPDATE "BillingAccount" AS ba SET "autoRechargeMonthlyCeilingMinor" = sc."autoRechargeMonthlyCeilingMinor"
FROM "AppSpendControls" AS sc WHERE sc."appId" = ba."appId" AND ba."id" IN (SELECT "toId" FROM "_TeamAccountMerge");

UPDATE "LedgerEntry" AS le SET "billingAccountId" = m."toId" FROM "_TeamAccountMerge" AS m WHERE m."fromId" = le."billingAccountId" AND m."fromId" <> m."toId";

UPDATE "PaymentAttempt" AS pa SET "billingAccountId" = m."toId" FROM "_TeamAccountMerge" AS m WHERE m."fromId" = pa."billingAccountId" AND m."fromId" <> m."toId";

UPDATE "BillingCorrection" AS bc SET "billingAccountId" = m."toId" FROM "_TeamAccountMerge" AS m WHERE m."fromId" = bc."billingAccountId" AND m."fromId" <> m."toId";

DELETE FROM "BillingAccount" WHERE "id" IN (SELECT "fromId" FROM "_TeamAccountMerge" WHERE "fromId" <> "toId");

-- Each entry's balance afterwards, now as a running balance of the team's account
UPDATE "LedgerEntry" AS le SET "balanceAfterMinor" = r."running"
FROM (
  SELECT e."id", (sum(e."amountMinor") OVER (PARTITION BY e."billingAccountId" ORDER BY e."createdAt", e."id"))::INTEGER AS "running"
  FROM "LedgerEntry" AS e
) AS r
WHERE r."id" = le."id";

DROP TABLE "_TeamCard";

DROP TABLE "_TeamAccountMerge";

-- DropForeignKey
ALTER TABLE "BillingAccount" DROP CONSTRAINT "BillingAccount_appId_fkey";

-- DropIndex
DROP INDEX "BillingAccount_appId_key";

ALTER TABLE "BillingAccount" DROP COLUMN "appId";

ALTER TABLE "BillingAccount" ALTER COLUMN "tenantId" SET NOT NULL;

-- AlterTable
ALTER TABLE "AppSpendControls" DROP COLUMN "autoRechargeMonthlyCeilingMinor";

-- CreateIndex
CREATE UNIQUE INDEX "BillingAccount_tenantId_key" ON "BillingAccount"("tenantId");

-- CreateIndex
CREATE INDEX "LedgerEntry_appId_createdAt_idx" ON "LedgerEntry"("appId", "createdAt");

-- AddForeignKey
ALTER TABLE "BillingAccount" ADD CONSTRAINT "BillingAccount_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LedgerEntry" ADD CONSTRAINT "LedgerEntry_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE SET NULL ON UPDATE CASCADE;
