-- CreateEnum
CREATE TYPE "InvoiceKind" AS ENUM ('invoice', 'credit_note');

-- CreateEnum
CREATE TYPE "BillingCorrectionKind" AS ENUM ('credit', 'adjustment', 'refund');

-- CreateEnum
CREATE TYPE "BillingCorrectionStatus" AS ENUM ('pending', 'succeeded', 'failed');

-- AlterEnum
ALTER TYPE "LedgerEntryKind" ADD VALUE 'credit';

-- The per-app invoice rows were views over the ledger with no number or details: their entries stay in
-- the ledger and are listed by the team's numbered invoices, one per calendar month (issue-invoices.ts).
DELETE FROM "Invoice";

-- AlterEnum
BEGIN;
CREATE TYPE "InvoiceStatus_new" AS ENUM ('open', 'paid', 'void');
ALTER TABLE "Invoice" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Invoice" ALTER COLUMN "status" TYPE "InvoiceStatus_new" USING ("status"::text::"InvoiceStatus_new");
ALTER TYPE "InvoiceStatus" RENAME TO "InvoiceStatus_old";
ALTER TYPE "InvoiceStatus_new" RENAME TO "InvoiceStatus";
DROP TYPE "InvoiceStatus_old";
COMMIT;

-- DropForeignKey
ALTER TABLE "Invoice" DROP CONSTRAINT "Invoice_appId_fkey";

-- DropIndex
DROP INDEX "Invoice_appId_periodStart_key";

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "viewingTenantId" TEXT;

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "billingAddress" TEXT,
ADD COLUMN     "billingEmail" TEXT,
ADD COLUMN     "billingName" TEXT,
ADD COLUMN     "billingTaxId" TEXT;

-- AlterTable
ALTER TABLE "LedgerEntry" ADD COLUMN     "invoiceId" TEXT;

-- AlterTable
ALTER TABLE "Invoice" DROP COLUMN "appId",
DROP COLUMN "updatedAt",
ADD COLUMN     "amountDueMinor" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "buyer" JSONB NOT NULL,
ADD COLUMN     "correctsInvoiceId" TEXT,
ADD COLUMN     "dueAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "kind" "InvoiceKind" NOT NULL DEFAULT 'invoice',
ADD COLUMN     "lines" JSONB NOT NULL,
ADD COLUMN     "number" TEXT NOT NULL,
ADD COLUMN     "payments" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "seller" JSONB NOT NULL,
ADD COLUMN     "tenantId" TEXT NOT NULL,
ADD COLUMN     "totalMinor" INTEGER NOT NULL,
ADD COLUMN     "voidReason" TEXT,
ADD COLUMN     "voidedAt" TIMESTAMP(3),
ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "issuedAt" SET NOT NULL;

-- CreateTable
CREATE TABLE "DocumentCounter" (
    "series" TEXT NOT NULL,
    "lastNumber" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DocumentCounter_pkey" PRIMARY KEY ("series")
);

-- CreateTable
CREATE TABLE "OperatorSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "name" TEXT NOT NULL DEFAULT '',
    "address" TEXT NOT NULL DEFAULT '',
    "taxId" TEXT NOT NULL DEFAULT '',
    "email" TEXT NOT NULL DEFAULT '',
    "paymentTermsDays" INTEGER NOT NULL DEFAULT 14,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OperatorSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BillingCorrection" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "kind" "BillingCorrectionKind" NOT NULL,
    "status" "BillingCorrectionStatus" NOT NULL,
    "billingAccountId" TEXT NOT NULL,
    "amountMinor" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "actorId" TEXT,
    "actorEmail" TEXT,
    "paymentAttemptId" TEXT,
    "providerReference" TEXT,
    "failureReason" TEXT,
    "invoiceId" TEXT,
    "creditNoteId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMP(3),

    CONSTRAINT "BillingCorrection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BillingCorrection_idempotencyKey_key" ON "BillingCorrection"("idempotencyKey");

-- CreateIndex
CREATE INDEX "BillingCorrection_billingAccountId_createdAt_idx" ON "BillingCorrection"("billingAccountId", "createdAt");

-- CreateIndex
CREATE INDEX "BillingCorrection_status_createdAt_idx" ON "BillingCorrection"("status", "createdAt");

-- CreateIndex
CREATE INDEX "LedgerEntry_invoiceId_createdAt_idx" ON "LedgerEntry"("invoiceId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_number_key" ON "Invoice"("number");

-- CreateIndex
CREATE INDEX "Invoice_tenantId_periodStart_idx" ON "Invoice"("tenantId", "periodStart");

-- CreateIndex
CREATE INDEX "Invoice_status_idx" ON "Invoice"("status");

-- AddForeignKey
ALTER TABLE "LedgerEntry" ADD CONSTRAINT "LedgerEntry_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BillingCorrection" ADD CONSTRAINT "BillingCorrection_billingAccountId_fkey" FOREIGN KEY ("billingAccountId") REFERENCES "BillingAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

