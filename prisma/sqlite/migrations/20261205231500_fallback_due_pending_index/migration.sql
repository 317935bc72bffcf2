-- Hand-written (see the comment on Notification in schema.prisma): only notifications with a fallback
-- pending are indexed; the sweeper's searches (fallbackDueAt <= now, IS NOT NULL) imply that. The new index
-- first, the old one dropped after: PostgreSQL's DROP INDEX locks the table against reads too, so it comes
-- last and is brief, where the build (which only blocks writes) takes the scan of the table.
CREATE INDEX "Notification_fallbackDueAt_pending_idx" ON "Notification"("fallbackDueAt") WHERE "fallbackDueAt" IS NOT NULL;

DROP INDEX "Notification_fallbackDueAt_idx";
