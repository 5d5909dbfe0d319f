-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "controlFrameBurst" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "controlFrameRefillPerSecond" INTEGER NOT NULL DEFAULT 50,
ADD COLUMN     "inboundBytesPerSecond" INTEGER NOT NULL DEFAULT 2097152;

-- AlterTable
ALTER TABLE "AppLimitOverride" ADD COLUMN     "controlFrameBurst" INTEGER,
ADD COLUMN     "controlFrameRefillPerSecond" INTEGER,
ADD COLUMN     "inboundBytesPerSecond" INTEGER;
