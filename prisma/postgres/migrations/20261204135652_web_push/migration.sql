-- AlterTable
ALTER TABLE "DeviceSubscription" ADD COLUMN     "pushAuth" TEXT,
ADD COLUMN     "pushEndpoint" TEXT,
ADD COLUMN     "pushP256dh" TEXT,
ADD COLUMN     "pushSince" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Push" (
    "deviceSubscriptionId" TEXT NOT NULL,
    "feedId" TEXT NOT NULL,
    "offset" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL,
    "pushedAt" TIMESTAMP(3),

    CONSTRAINT "Push_pkey" PRIMARY KEY ("deviceSubscriptionId","offset")
);

-- CreateTable
CREATE TABLE "GatewayKey" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GatewayKey_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "Push_feedId_offset_idx" ON "Push"("feedId", "offset");

-- AddForeignKey
ALTER TABLE "Push" ADD CONSTRAINT "Push_deviceSubscriptionId_fkey" FOREIGN KEY ("deviceSubscriptionId") REFERENCES "DeviceSubscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Push" ADD CONSTRAINT "Push_feedId_offset_fkey" FOREIGN KEY ("feedId", "offset") REFERENCES "Change"("feedId", "offset") ON DELETE CASCADE ON UPDATE CASCADE;
