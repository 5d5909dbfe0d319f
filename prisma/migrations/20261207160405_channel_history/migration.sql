-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "historySize" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "historyTtlSeconds" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "AppLimitOverride" ADD COLUMN     "historySize" INTEGER,
ADD COLUMN     "historyTtlSeconds" INTEGER;

