import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerApp } from '../../../src/auth/register-app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createStore } from '../../../src/store/create-store.js';
import type { Store } from '../../../src/store/types.js';
import { storeContent } from './notification.js';
import { createStoreDevice } from './store-device.js';

export const LOCALITY_HOST = 'locality.example.com';

/** A SQLite store in a temporary directory with `users` users of one app, one WEB device each. */
export interface LocalityStore {
  readonly store: Store;
  readonly appId: string;
  /** Each user's UNSID, by user number. */
  readonly unsids: readonly string[];
  readonly databasePath: string;
  /** Closes the store and removes the directory. */
  close(): Promise<void>;
}

/** A post's content for the locality benches. */
export const localityContent = (appNotificationId: string) => storeContent(LOCALITY_HOST, appNotificationId);

/**
 * Makes the users and their devices, then reopens the store, as a gateway starts on an existing one. Its
 * writes run on the event loop (no writer thread), as on the bench's one-CPU server.
 */
export async function openLocalityStore(users: number): Promise<LocalityStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-locality-'));
  try {
    return await seed(dataDir, users);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function seed(dataDir: string, users: number): Promise<LocalityStore> {
  const config = loadConfig({ TIDINGS_SQLITE_WRITE_THREAD: 'off' }, { dataDir });
  let store = await createStore(config);
  const { app } = await registerApp(store, { targetHostName: LOCALITY_HOST });
  const unsids: string[] = [];
  for (let user = 0; user < users; user++) {
    const device = await createStoreDevice(store, {
      id: `locality-${user}-${randomBytes(12).toString('hex')}`,
      appId: app.id,
      issuer: 'urn:bench:locality',
      subject: `user-${user}`,
      label: 'locality',
      maxDevices: 10,
    });
    unsids.push(device.id);
  }
  await store.close();
  store = await createStore(config);
  const opened = store;
  return {
    store: opened,
    appId: app.id,
    unsids,
    databasePath: join(dataDir, 'tidings.db'),
    async close() {
      try {
        await opened.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
