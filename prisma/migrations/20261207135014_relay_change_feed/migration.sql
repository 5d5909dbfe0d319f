-- AlterTable
ALTER TABLE "App" ADD COLUMN     "relayVersion" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "RelayFeedHead" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "RelayFeedHead_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "App_relayVersion_id_idx" ON "App"("relayVersion", "id");


-- The head row every change locks to take its version.
INSERT INTO "RelayFeedHead" ("id", "version") VALUES (1, 0);
