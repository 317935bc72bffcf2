-- AlterTable
ALTER TABLE "DeviceSubscription" ADD COLUMN "pushAuth" TEXT;
ALTER TABLE "DeviceSubscription" ADD COLUMN "pushEndpoint" TEXT;
ALTER TABLE "DeviceSubscription" ADD COLUMN "pushP256dh" TEXT;
ALTER TABLE "DeviceSubscription" ADD COLUMN "pushSince" DATETIME;

-- CreateTable
CREATE TABLE "Push" (
    "deviceSubscriptionId" TEXT NOT NULL,
    "feedId" TEXT NOT NULL,
    "offset" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "claimedAt" DATETIME NOT NULL,
    "pushedAt" DATETIME,

    PRIMARY KEY ("deviceSubscriptionId", "offset"),
    CONSTRAINT "Push_deviceSubscriptionId_fkey" FOREIGN KEY ("deviceSubscriptionId") REFERENCES "DeviceSubscription" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Push_feedId_offset_fkey" FOREIGN KEY ("feedId", "offset") REFERENCES "Change" ("feedId", "offset") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "GatewayKey" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Push_feedId_offset_idx" ON "Push"("feedId", "offset");
