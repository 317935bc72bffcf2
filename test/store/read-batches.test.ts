import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DeviceSubscription } from '../../src/domain/types.js';
import { ErrorCode } from '../../src/errors.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { storeEnv, temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'storm.example.com';
// Each test keeps to its own users' devices: 0–9 feed heads, 10–15 device heads and reads, 18–19 reads never
// remembered (posts move a feed's head, deletions remove a device).
const USERS = 20;

// When thousands of devices reconnect at once, each socket reads its device subscription and, once its
// feed listens, its feed's head. The store reads what is asked on one turn of the event loop together: a
// query for all of them, each answer its own, and nothing remembered from one read to the next.
describe('reads asked for together (a reconnect storm)', () => {
  let store: Store;
  const statements: string[] = [];
  let devices: DeviceSubscription[];

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    store = await createStore(loadConfig(await storeEnv(dataDir), { dataDir }), (sql) => {
      statements.push(sql);
    });
    onCleanup(() => store.close());
    const { app } = await registerApp(store, { targetHostName: HOST });
    devices = [];
    for (let i = 0; i < USERS; i++) devices.push(await createWebDevice(store, app.id, `user-${i}`));
  });

  /**
   * Asks for each key from a callback of its own, all on one turn of the event loop, as sockets' messages
   * arrive: Prisma's client batches lookups by unique key made in one tick by itself, not the ones of
   * separate callbacks of one turn.
   */
  const separately = <T>(keys: readonly string[], read: (key: string) => Promise<T>) =>
    Promise.allSettled(
      keys.map((key) => new Promise<T>((resolve) => setImmediate(() => resolve(read(key))))),
    );

  /** The statements `work` made the store run. */
  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    const from = statements.length;
    await work();
    return statements.slice(from);
  }

  it('reads the device subscriptions asked for on one turn with one query, each answered with its own', async () => {
    let found: Array<DeviceSubscription | null> = [];
    const ran = await statementsOf(async () => {
      const read = await separately([...devices.map((device) => device.id), 'no-such-unsid'], (id) =>
        store.findDeviceSubscription(id),
      );
      found = read.map((result) => (result.status === 'fulfilled' ? result.value : null));
    });
    expect(found.map((device) => device?.id ?? null)).toEqual([...devices.map((d) => d.id), null]);
    expect(found.map((device) => device?.owner.subject)).toEqual([
      ...devices.map((_, i) => `user-${i}`),
      undefined,
    ]);
    // One statement for all of them (a provider may read the included feeds with a second one), not one
    // or two per device.
    expect(ran.length).toBeLessThanOrEqual(2);
  });

  it('fails only the read whose key the store refuses, not the other reads of its turn', async () => {
    const [good] = devices as [DeviceSubscription];
    // PostgreSQL refuses text with a NUL byte (22021): the query of a whole batch would fail with it. (The
    // gateway answers a UNSID of any other shape than an issued one without asking the store; the store
    // still lets no key fail the other reads of its batch.)
    const [own, bad] = await separately([good.id, 'evil\u0000unsid'], (id) =>
      store.findDeviceSubscription(id),
    );
    expect(own?.status === 'fulfilled' ? own.value?.id : own?.reason).toBe(good.id);
    // SQLite reads the key and finds nothing; PostgreSQL fails that one read.
    if (bad?.status === 'fulfilled') expect(bad.value).toBeNull();
  });

  it('never answers from an earlier read: a device deleted since is not found, a feed posted to since has moved', async () => {
    const [gone, kept] = devices.slice(-2) as [DeviceSubscription, DeviceSubscription];
    expect(await store.findDeviceSubscription(gone.id)).not.toBeNull();
    const headBefore = await store.feedHead(kept.feedId);
    await store.deleteDeviceSubscription(gone.id);
    await store.postNotification({
      target: { feedId: kept.feedId },
      content: notificationContent(HOST, 'moved'),
      now: new Date(),
    });
    const [deleted, still, head] = await Promise.all([
      store.findDeviceSubscription(gone.id),
      store.findDeviceSubscription(kept.id),
      store.feedHead(kept.feedId),
    ]);
    expect(deleted).toBeNull();
    expect(still?.id).toBe(kept.id);
    expect(still?.feedHead.offset).toBe(headBefore.offset + 1);
    expect(head.offset).toBe(headBefore.offset + 1);
  });

  it("reads the heads of devices' feeds asked for on one turn with one statement; a deleted device has none", async () => {
    const [gone, ...kept] = devices.slice(10, 16) as [DeviceSubscription, ...DeviceSubscription[]];
    await store.deleteDeviceSubscription(gone.id);
    let heads: Array<Awaited<ReturnType<Store['deviceFeedHead']>>> = [];
    const ran = await statementsOf(async () => {
      const read = await separately([gone.id, ...kept.map((device) => device.id)], (id) =>
        store.deviceFeedHead(id),
      );
      heads = read.map((result) => (result.status === 'fulfilled' ? result.value : null));
    });
    expect(ran.length).toBe(1);
    expect(heads).toEqual([null, ...kept.map((device) => device.feedHead)]);
  });

  it("reads a device's changes only while the device exists, in the statement that reads them", async () => {
    const [device] = devices.slice(16) as [DeviceSubscription];
    const change = await store.postNotification({
      target: { feedId: device.feedId },
      content: notificationContent(HOST, 'while-there'),
      now: new Date(),
    });
    const after = (change?.offset ?? 0) - 1;
    expect(await store.readChanges(device.feedId, after, 10, device.id)).toEqual([change]);
    await store.deleteDeviceSubscription(device.id);
    expect(await store.readChanges(device.feedId, after, 10, device.id)).toEqual([]);
    // The feed's log is still there: read without the device, it is as it was.
    expect(await store.readChanges(device.feedId, after, 10)).toEqual([change]);
  });

  it("reads the feeds' heads asked for on one turn with one query; a feed that does not exist fails only its own", async () => {
    const feedIds = devices.slice(0, 10).map((device) => device.feedId);
    let heads: Array<PromiseSettledResult<Awaited<ReturnType<Store['feedHead']>>>> = [];
    const ran = await statementsOf(async () => {
      heads = await separately([...feedIds, 'no-feed'], (id) => store.feedHead(id));
    });
    expect(ran.length).toBe(1);
    // Nothing was posted to these feeds: their heads are as their devices' creation read them.
    expect(heads.slice(0, -1)).toEqual(
      devices.slice(0, 10).map((device) => ({ status: 'fulfilled', value: device.feedHead })),
    );
    const missing = heads.at(-1);
    expect(missing?.status).toBe('rejected');
    expect((missing as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.NotFound });
  });
});
