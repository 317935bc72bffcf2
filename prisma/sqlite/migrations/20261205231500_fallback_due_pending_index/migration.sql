-- Hand-written (see the comment on Notification in schema.prisma): only notifications with a fallback
-- pending are indexed; the sweeper's searches (fallbackDueAt <= now, IS NOT NULL) imply that.
DROP INDEX "Notification_fallbackDueAt_idx";

CREATE INDEX "Notification_fallbackDueAt_idx" ON "Notification"("fallbackDueAt") WHERE "fallbackDueAt" IS NOT NULL;
