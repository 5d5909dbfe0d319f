-- AlterEnum
ALTER TYPE "PaymentAttemptStatus" ADD VALUE 'pending';

-- AlterTable
ALTER TABLE "PaymentAttempt" ADD COLUMN     "description" TEXT,
ADD COLUMN     "idempotencyKey" TEXT,
ADD COLUMN     "settledAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "PaymentAttempt_idempotencyKey_key" ON "PaymentAttempt"("idempotencyKey");

-- CreateIndex
CREATE INDEX "PaymentAttempt_status_createdAt_idx" ON "PaymentAttempt"("status", "createdAt");

