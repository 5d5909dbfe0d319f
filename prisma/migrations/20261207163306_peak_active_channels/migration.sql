-- AlterTable
ALTER TABLE "UsagePeriod" ADD COLUMN     "peakActiveChannels" INTEGER NOT NULL DEFAULT 0;

