-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('active', 'past_due');

-- CreateEnum
CREATE TYPE "InvoiceStatus" AS ENUM ('draft', 'issued', 'paid', 'past_due');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "LedgerEntryKind" ADD VALUE 'plan_fee';
ALTER TYPE "LedgerEntryKind" ADD VALUE 'plan_credit';
ALTER TYPE "LedgerEntryKind" ADD VALUE 'card_payment';

-- AlterEnum
ALTER TYPE "PaymentAttemptKind" ADD VALUE 'plan_fee';

-- AlterTable
ALTER TABLE "PaymentAttempt" ADD COLUMN     "paymentMethodRef" TEXT;

-- AlterTable
ALTER TABLE "LedgerEntry" ADD COLUMN     "breakdown" JSONB,
ADD COLUMN     "periodStart" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "AppSubscription" (
    "appId" TEXT NOT NULL,
    "renewedPeriodStart" TIMESTAMP(3) NOT NULL,
    "renewsAt" TIMESTAMP(3) NOT NULL,
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'active',
    "amountDueMinor" INTEGER NOT NULL DEFAULT 0,
    "graceEndsAt" TIMESTAMP(3),
    "declinedPaymentMethodRef" TEXT,
    "scheduledPlanId" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AppSubscription_pkey" PRIMARY KEY ("appId")
);

-- CreateTable
CREATE TABLE "PlanChange" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "fromPlanId" TEXT NOT NULL,
    "toPlanId" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "chargedMinor" INTEGER NOT NULL DEFAULT 0,
    "creditedMinor" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PlanChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "periodEnd" TIMESTAMP(3) NOT NULL,
    "status" "InvoiceStatus" NOT NULL DEFAULT 'draft',
    "issuedAt" TIMESTAMP(3),
    "paidAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlanPriceChange" (
    "id" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "previousPrices" JSONB NOT NULL,
    "appliedImmediately" BOOLEAN NOT NULL DEFAULT false,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PlanPriceChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AppSubscription_renewsAt_idx" ON "AppSubscription"("renewsAt");

-- CreateIndex
CREATE UNIQUE INDEX "PlanChange_appId_idempotencyKey_key" ON "PlanChange"("appId", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_appId_periodStart_key" ON "Invoice"("appId", "periodStart");

-- CreateIndex
CREATE INDEX "PlanPriceChange_planId_changedAt_idx" ON "PlanPriceChange"("planId", "changedAt");

-- AddForeignKey
ALTER TABLE "AppSubscription" ADD CONSTRAINT "AppSubscription_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlanChange" ADD CONSTRAINT "PlanChange_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

