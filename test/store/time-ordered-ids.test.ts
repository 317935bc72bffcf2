import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { timeOrderedId } from '../../src/store/time-ordered-id.js';
import type { Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { storeEnv, temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'ids.example.com';
const USERS = 8;
const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ascending = (ids: readonly string[]) => ids.every((id, i) => i === 0 || (ids[i - 1] as string) < id);

// Notification ids sort in the order they were posted, so new rows append at the end of the indexes
// keyed by them instead of landing at random pages (time-ordered-id.ts says what that saves).
describe('time-ordered notification ids', () => {
  it('are version-7 UUIDs that sort in the order they were made, within a millisecond and past its counter', () => {
    // Made in this order: a millisecond, 5,000 in the next (past the counter's 4,096), then the clock
    // going on and stepping back.
    const ids = [timeOrderedId(999)];
    for (let i = 0; i < 5000; i += 1) ids.push(timeOrderedId(1_000));
    ids.push(timeOrderedId(1_001), timeOrderedId(500));
    for (const id of ids) expect(id).toMatch(VERSION_7);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ascending(ids)).toBe(true);
    // The last 62 bits are random: no two ids share them (a counter alone would keep them apart above).
    expect(new Set(ids.map((id) => id.slice(19))).size).toBe(ids.length);
  });

  describe('given by the store to posts', () => {
    let store: Store;
    let appId: string;
    const unsids: string[] = [];

    beforeAll(async () => {
      const dataDir = temporaryDataDir();
      store = await createStore(loadConfig(await storeEnv(dataDir), { dataDir }));
      onCleanup(() => store.close());
      ({
        app: { id: appId },
      } = await registerApp(store, { targetHostName: HOST }));
      for (let user = 0; user < USERS; user += 1) {
        unsids.push((await createWebDevice(store, appId, `user-${user}`, `ids-${user}`)).id);
      }
    });

    const post = async (user: number, key: string) => {
      const change = await store.postNotification({
        target: { deviceSubscriptionId: unsids[user] as string, appId },
        content: notificationContent(HOST, key),
        now: new Date(),
      });
      if (!change) throw new Error('the post found no device');
      return change.notification.id;
    };

    it('in posting order, one after the other and within a batch, and kept by a replacement', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i += 1) ids.push(await post(i % USERS, `one-by-one-${i}`));
      // Posted together: one batch (group commit), its posts in the order they were made.
      ids.push(
        ...(await Promise.all(Array.from({ length: USERS }, (_, user) => post(user, `batch-${user}`)))),
      );
      for (const id of ids) expect(id).toMatch(VERSION_7);
      expect(ascending(ids)).toBe(true);
      // A replacement keeps the notification (and its id), whatever ids were made since.
      expect(await post(0, 'one-by-one-0')).toBe(ids[0]);
    });
  });
});
