-- CreateEnum
CREATE TYPE "PaymentAttemptKind" AS ENUM ('top_up', 'auto_recharge');

-- CreateEnum
CREATE TYPE "PaymentAttemptStatus" AS ENUM ('succeeded', 'declined');

-- CreateTable
CREATE TABLE "PaymentAttempt" (
    "id" TEXT NOT NULL,
    "billingAccountId" TEXT NOT NULL,
    "kind" "PaymentAttemptKind" NOT NULL,
    "status" "PaymentAttemptStatus" NOT NULL,
    "amountMinor" INTEGER NOT NULL,
    "providerReference" TEXT,
    "failureReason" TEXT,
    "trigger" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PaymentAttempt_billingAccountId_createdAt_idx" ON "PaymentAttempt"("billingAccountId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerEntry_billingAccountId_reference_key" ON "LedgerEntry"("billingAccountId", "reference");

-- AddForeignKey
ALTER TABLE "PaymentAttempt" ADD CONSTRAINT "PaymentAttempt_billingAccountId_fkey" FOREIGN KEY ("billingAccountId") REFERENCES "BillingAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

