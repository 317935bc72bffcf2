-- DropIndex
DROP INDEX "DeviceSubscription_feedId_idx";

-- CreateIndex
CREATE INDEX "DeviceSubscription_feedId_expirationDateTime_idx" ON "DeviceSubscription"("feedId", "expirationDateTime");

-- CreateIndex
CREATE INDEX "DeviceSubscription_expirationDateTime_idx" ON "DeviceSubscription"("expirationDateTime");
