-- The pay-as-you-go free allowance belongs to the team (issue 27), shared by its pay-as-you-go apps.

-- AlterTable
ALTER TABLE "UsagePeriod" ADD COLUMN     "freeConnectionMinutes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "freeDeliveredMessages" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "freeEgressBytes" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "TeamAllowanceUse" (
    "billingAccountId" TEXT NOT NULL,
    "monthStart" TIMESTAMP(3) NOT NULL,
    "connectionMinutes" BIGINT NOT NULL DEFAULT 0,
    "deliveredMessages" BIGINT NOT NULL DEFAULT 0,
    "egressBytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "TeamAllowanceUse_pkey" PRIMARY KEY ("billingAccountId","monthStart")
);

-- AddForeignKey
ALTER TABLE "TeamAllowanceUse" ADD CONSTRAINT "TeamAllowanceUse_billingAccountId_fkey" FOREIGN KEY ("billingAccountId") REFERENCES "BillingAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Periods of pay-as-you-go apps took their plan's whole allowance each, before it was shared: recorded as
-- taken, so what they were charged stays exactly what their usage costs. Egress is billed in 4096-byte
-- blocks (Limits.egressBlockBytes in the relay protocol).
UPDATE "UsagePeriod" AS up SET
  "freeConnectionMinutes" = LEAST(up."connectionMinutes", p."freeConnectionMinutes"),
  "freeDeliveredMessages" = LEAST(up."deliveredMessages", p."freeDeliveredMessages"),
  "freeEgressBytes" = LEAST(up."egressBlocks" * 4096, p."freeEgressBytes")
FROM "App" AS a, "Plan" AS p
WHERE a."id" = up."appId" AND p."id" = a."planId" AND p."kind" = 'pay_as_you_go';

-- What the team's apps took in their current periods counts as this month's use of the team's allowance
INSERT INTO "TeamAllowanceUse" ("billingAccountId", "monthStart", "connectionMinutes", "deliveredMessages", "egressBytes")
SELECT ba."id", date_trunc('month', now() AT TIME ZONE 'UTC'), sum(up."freeConnectionMinutes"), sum(up."freeDeliveredMessages"), sum(up."freeEgressBytes")
FROM "UsagePeriod" AS up
JOIN "App" AS a ON a."id" = up."appId"
JOIN "BillingAccount" AS ba ON ba."tenantId" = a."tenantId"
WHERE up."start" <= now() AT TIME ZONE 'UTC' AND up."end" > now() AT TIME ZONE 'UTC'
GROUP BY ba."id"
HAVING sum(up."freeConnectionMinutes") + sum(up."freeDeliveredMessages") + sum(up."freeEgressBytes") > 0;
