import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { ErrorCode, GatewayError } from '../../src/errors.js';
import { createStore } from '../../src/store/create-store.js';
import { onCleanup } from '../support/cleanup.js';
import { temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';

const HOST = 'locked.example.com';

const content = (appNotificationId: string, title?: string) =>
  notificationContent(HOST, appNotificationId, title);

// Another process holding SQLite's write lock longer than the busy timeout (5 s) is "the store is
// unavailable for now" (SERVICE_UNAVAILABLE, retry), not an unexpected error, and nothing is written.
describe('a SQLite database locked by another process', () => {
  it('answers SERVICE_UNAVAILABLE for a post, writes nothing, and posts once the lock is gone', async () => {
    const dataDir = temporaryDataDir();
    const store = await createStore(loadConfig({}, { dataDir }));
    onCleanup(() => store.close());
    const { app } = await registerApp(store, { targetHostName: HOST });
    const now = new Date();
    const device = await store.createDeviceSubscription({
      id: 'unsid-locked',
      owner: { appId: app.id, issuer: 'urn:test', subject: 'ann' },
      platform: 'WEB',
      deviceLabel: 'web',
      expirationDateTime: new Date(now.getTime() + 86_400_000),
      now,
      maxDevices: 100,
    });
    const post = () =>
      store.postNotification({
        target: { deviceSubscriptionId: device.id, appId: app.id },
        content: content('locked-1'),
        now: new Date(),
      });
    const other = new Database(join(dataDir, 'tidings.db'));
    onCleanup(() => {
      other.close();
    });
    other.exec('BEGIN EXCLUSIVE');

    const refused = await post().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe(ErrorCode.ServiceUnavailable);

    other.exec('ROLLBACK');
    expect(await store.readChanges(device.feedId, 0, 10)).toEqual([]);
    const change = await post();
    expect(change?.kind).toBe('CREATED');
    expect(change?.offset).toBe(1);
  }, 20_000);
});
