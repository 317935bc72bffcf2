import { createAppStore } from './app-store.js';
import { createDeliveryStore } from './delivery-store.js';
import { createDeviceStore } from './device-store.js';
import { createFeedLog } from './feed-log.js';
import { createMaintenanceStore } from './maintenance-store.js';
import { type Client, type DirectWrites, databaseOf, type Provider } from './prisma-client.js';
import { createPushStore } from './push-store.js';
import type { Store } from './types.js';

/**
 * The store on any Prisma client of our models, one part per thing it stores: apps, device
 * subscriptions, the feed log, delivery marks, and the sweeper's maintenance. Writes go through
 * interactive transactions on `writer`; reads go to `reader` (which may be the same client where the
 * database isolates them, as PostgreSQL does; SQLite needs a second connection, see sqlite-store.ts).
 */
export function createPrismaStore(
  writer: Client,
  reader: Client,
  provider: Provider,
  direct?: DirectWrites,
): Store {
  const db = databaseOf(writer, reader, provider, direct);
  return {
    ...createAppStore(db),
    ...createDeviceStore(db),
    ...createFeedLog(db),
    ...createDeliveryStore(db),
    ...createMaintenanceStore(db),
    ...createPushStore(db),
    async ping() {
      await reader.$queryRawUnsafe('SELECT 1');
    },
    async close() {
      await Promise.all([writer.$disconnect(), reader.$disconnect()]);
    },
  };
}
