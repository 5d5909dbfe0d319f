-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "maxApps" INTEGER;
