-- AlterTable
ALTER TABLE "WebhookEndpoint" ADD COLUMN     "eventTypes" TEXT[] DEFAULT ARRAY[]::TEXT[];
