-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "maxActiveChannels" INTEGER,
ADD COLUMN     "maxPeersPerChannel" INTEGER;

-- AlterTable
ALTER TABLE "AppLimitOverride" ADD COLUMN     "maxActiveChannels" INTEGER,
ADD COLUMN     "maxPeersPerChannel" INTEGER;

