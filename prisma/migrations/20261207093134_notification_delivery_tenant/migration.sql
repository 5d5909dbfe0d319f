-- The delivery worker claims due rows fairly per tenant: each delivery carries its event's app's tenant.
ALTER TABLE "NotificationDelivery" ADD COLUMN "tenantId" TEXT;

UPDATE "NotificationDelivery" AS delivery SET "tenantId" = app."tenantId"
FROM "AppEvent" AS event JOIN "App" AS app ON app.id = event."appId"
WHERE event.id = delivery."eventId";

ALTER TABLE "NotificationDelivery" ALTER COLUMN "tenantId" SET NOT NULL;

DROP INDEX "NotificationDelivery_status_nextAttemptAt_idx";

CREATE INDEX "NotificationDelivery_status_tenantId_nextAttemptAt_idx" ON "NotificationDelivery"("status", "tenantId", "nextAttemptAt");
