import { ErrorCode, GatewayError } from '../errors.js';
import type { Client, Database } from './prisma-client.js';
import type { Store } from './types.js';

const APP_CACHE_MS = 60_000;
const MAX_CACHED_APPS = 10_000;

type AppRow = Awaited<ReturnType<Client['app']['findFirstOrThrow']>>;

/** Registered app services: created by the CLI, read by every request an app makes. */
export function createAppStore(
  db: Database,
): Pick<Store, 'createApp' | 'findApp' | 'listApps' | 'setAppSecretHash'> {
  const { write, reader } = db;
  // Every post reads its app (host name); apps change only by registration, so a read serves a minute.
  const apps = new Map<string, { app: AppRow; until: number }>();
  return {
    createApp: (app) =>
      write((tx) => tx.app.create({ data: app, omit: { secretHash: true } })).catch((error: unknown) => {
        // The unique index on the host name decides races that a check before the insert would miss.
        if ((error as { code?: unknown }).code === 'P2002') {
          throw new GatewayError(
            ErrorCode.Conflict,
            `An app with host name ${app.targetHostName} is already registered.`,
          );
        }
        throw error;
      }),
    async findApp(id, options) {
      const known = apps.get(id);
      if (known && known.until > Date.now() && !options?.fresh) return known.app;
      const app = await reader.app.findUnique({ where: { id } });
      // Only apps that exist are remembered: one registered a moment ago (by the CLI) is found at once.
      if (app) {
        if (apps.size >= MAX_CACHED_APPS) apps.clear();
        apps.set(id, { app, until: Date.now() + APP_CACHE_MS });
      }
      return app;
    },
    listApps: () => reader.app.findMany({ orderBy: { createdAt: 'asc' }, omit: { secretHash: true } }),
    async setAppSecretHash(id, secretHash) {
      const { count } = await write((tx) =>
        tx.app.updateMany({ where: { id, tokenIssuer: null }, data: { secretHash } }),
      );
      apps.delete(id);
      return count === 1;
    },
  };
}
