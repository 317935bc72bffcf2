-- CreateTable
CREATE TABLE "App" (
    "id" TEXT NOT NULL,
    "targetHostName" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "App_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Feed" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "epoch" TEXT NOT NULL,
    "lastOffset" INTEGER NOT NULL DEFAULT 0,
    "purgedThrough" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Feed_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceSubscription" (
    "id" TEXT NOT NULL,
    "feedId" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "deviceLabel" TEXT NOT NULL,
    "expirationDateTime" TIMESTAMP(3) NOT NULL,
    "createdDateTime" TIMESTAMP(3) NOT NULL,
    "ackedOffset" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DeviceSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeliveryMark" (
    "id" SERIAL NOT NULL,
    "deviceSubscriptionId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fromOffset" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeliveryMark_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL,
    "feedId" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "appNotificationId" TEXT NOT NULL,
    "targetHostName" TEXT NOT NULL,
    "feedPosition" INTEGER NOT NULL,
    "priority" TEXT NOT NULL,
    "groupName" TEXT,
    "visualTitle" TEXT,
    "visualBody" TEXT,
    "rawContent" TEXT,
    "platformTypes" TEXT NOT NULL,
    "displayTimeToLive" INTEGER,
    "expirationDateTime" TIMESTAMP(3) NOT NULL,
    "fallbackPolicy" TEXT,
    "readState" TEXT NOT NULL,
    "userActionState" TEXT NOT NULL,
    "snoozedUntil" TIMESTAMP(3),
    "status" TEXT NOT NULL,
    "createdDateTime" TIMESTAMP(3) NOT NULL,
    "lastModifiedDateTime" TIMESTAMP(3) NOT NULL,
    "fallbackDueAt" TIMESTAMP(3),
    "fallbackSentAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Change" (
    "feedId" TEXT NOT NULL,
    "offset" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Change_pkey" PRIMARY KEY ("feedId","offset")
);

-- CreateIndex
CREATE UNIQUE INDEX "App_targetHostName_key" ON "App"("targetHostName");

-- CreateIndex
CREATE UNIQUE INDEX "Feed_appId_issuer_subject_key" ON "Feed"("appId", "issuer", "subject");

-- CreateIndex
CREATE INDEX "DeviceSubscription_feedId_idx" ON "DeviceSubscription"("feedId");

-- CreateIndex
CREATE INDEX "DeliveryMark_deviceSubscriptionId_kind_offset_idx" ON "DeliveryMark"("deviceSubscriptionId", "kind", "offset");

-- CreateIndex
CREATE INDEX "DeliveryMark_at_idx" ON "DeliveryMark"("at");

-- CreateIndex
CREATE INDEX "Notification_feedId_feedPosition_idx" ON "Notification"("feedId", "feedPosition");

-- CreateIndex
CREATE INDEX "Notification_status_expirationDateTime_idx" ON "Notification"("status", "expirationDateTime");

-- CreateIndex
CREATE INDEX "Notification_fallbackDueAt_idx" ON "Notification"("fallbackDueAt");

-- CreateIndex
CREATE UNIQUE INDEX "Notification_feedId_appNotificationId_key" ON "Notification"("feedId", "appNotificationId");

-- CreateIndex
CREATE INDEX "Change_notificationId_idx" ON "Change"("notificationId");

-- CreateIndex
CREATE INDEX "Change_createdAt_idx" ON "Change"("createdAt");

-- AddForeignKey
ALTER TABLE "Feed" ADD CONSTRAINT "Feed_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeviceSubscription" ADD CONSTRAINT "DeviceSubscription_feedId_fkey" FOREIGN KEY ("feedId") REFERENCES "Feed"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeliveryMark" ADD CONSTRAINT "DeliveryMark_deviceSubscriptionId_fkey" FOREIGN KEY ("deviceSubscriptionId") REFERENCES "DeviceSubscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_feedId_fkey" FOREIGN KEY ("feedId") REFERENCES "Feed"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Change" ADD CONSTRAINT "Change_feedId_fkey" FOREIGN KEY ("feedId") REFERENCES "Feed"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Change" ADD CONSTRAINT "Change_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification"("id") ON DELETE CASCADE ON UPDATE CASCADE;
