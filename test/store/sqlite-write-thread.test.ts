import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { ErrorCode, GatewayError } from '../../src/errors.js';
import { sqliteWritesOnThread } from '../../src/store/create-store.js';
import { createSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { reportingUnavailability } from '../../src/store/unavailable.js';
import { onCleanup } from '../support/cleanup.js';
import { temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';

const HOST = 'writer.example.com';
const SCRIPTED_WRITER = new URL('../support/scripted-sqlite-writer.ts', import.meta.url);

/** A SQLite store as createStore makes it, whose writer thread the test can stop mid-batch. */
async function openStore(dataDir: string): Promise<Store> {
  const config = loadConfig({}, { dataDir });
  const store = reportingUnavailability(
    await createSqliteStore({
      databaseUrl: config.databaseUrl,
      synchronous: config.sqliteSynchronous,
      writerEntry: SCRIPTED_WRITER,
    }),
  );
  onCleanup(() => store.close());
  return store;
}

/** A WEB device of `subject` in the app (a Prisma write transaction on the writer's connection). */
function createDevice(store: Store, appId: string, subject: string, id: string, deviceLabel: string) {
  const now = new Date();
  return store.createDeviceSubscription({
    id,
    owner: { appId, issuer: 'urn:test', subject },
    platform: 'WEB',
    deviceLabel,
    expirationDateTime: new Date(now.getTime() + 86_400_000),
    now,
    maxDevices: 100,
  });
}

async function withDevice(store: Store, subject: string) {
  const { app } = await registerApp(store, { targetHostName: HOST });
  const device = await createDevice(store, app.id, subject, `unsid-${subject}`, 'web');
  const post = (appNotificationId: string) =>
    store.postNotification({
      target: { deviceSubscriptionId: device.id, appId: app.id },
      content: notificationContent(HOST, appNotificationId),
      now: new Date(),
    });
  return { app, device, post };
}

const codeOf = (error: unknown) => (error instanceof GatewayError ? error.code : error);

// Posts and delivery marks commit on a worker thread (sqlite-write-thread.ts): what a worker that dies,
// a close during a batch and Prisma's own writes beside a batch do to them.
describe("SQLite's writer thread", () => {
  it('fails the batch it dies in with SERVICE_UNAVAILABLE, writes none of it, and the next posts succeed', async () => {
    const dataDir = temporaryDataDir();
    const store = await openStore(dataDir);
    const { device, post } = await withDevice(store, 'ann');
    expect((await post('before'))?.offset).toBe(1);

    writeFileSync(join(dataDir, 'tidings.db.die'), '');
    // Posted on one turn: one batch, which the thread dies in after writing its notifications.
    const failed = await Promise.allSettled([post('lost-1'), post('lost-2'), post('lost-3')]);
    expect(failed.map((result) => result.status === 'rejected' && codeOf(result.reason))).toEqual([
      ErrorCode.ServiceUnavailable,
      ErrorCode.ServiceUnavailable,
      ErrorCode.ServiceUnavailable,
    ]);
    expect(existsSync(join(dataDir, 'tidings.db.die'))).toBe(false);

    // Its transaction rolled back with its connection; a new thread writes the next posts.
    const after = await post('after');
    expect(after?.offset).toBe(2);
    expect(
      (await store.readChanges(device.feedId, 0, 10)).map((change) => change.notification.appNotificationId),
    ).toEqual(['before', 'after']);
    expect(await store.findNotificationByAppId(device.feedId, 'lost-1')).toBeNull();
  });

  it('closes after the batch in flight has committed: what was answered is there after reopening', async () => {
    const dataDir = temporaryDataDir();
    const store = await openStore(dataDir);
    const { device, post } = await withDevice(store, 'bob');
    await post('first');

    writeFileSync(join(dataDir, 'tidings.db.hold'), '');
    const held = post('in-flight');
    await expect.poll(() => existsSync(join(dataDir, 'tidings.db.reached'))).toBe(true);
    const closing = store.close();
    // Asked after close (it waits for the batch in flight, then finds the writer closed): refused.
    const late = post('after-close').catch((error: unknown) => error);
    rmSync(join(dataDir, 'tidings.db.hold'));
    const answered = await held;
    await closing;
    expect(answered?.offset).toBe(2);
    expect(codeOf(await late)).toBe(ErrorCode.ServiceUnavailable);

    const reopened = await openStore(dataDir);
    expect(
      (await reopened.readChanges(device.feedId, 0, 10)).map(
        (change) => change.notification.appNotificationId,
      ),
    ).toEqual(['first', 'in-flight']);
  });

  it('runs a Prisma write transaction after the post batch that holds the writer, both committed', async () => {
    const dataDir = temporaryDataDir();
    const store = await openStore(dataDir);
    const { app, device, post } = await withDevice(store, 'cat');

    writeFileSync(join(dataDir, 'tidings.db.hold'), '');
    const order: string[] = [];
    const posted = post('while-creating').then((change) => {
      order.push('post');
      return change;
    });
    await expect.poll(() => existsSync(join(dataDir, 'tidings.db.reached'))).toBe(true);
    // A Prisma write transaction on the writer's connection, while the thread is inside its transaction.
    const created = createDevice(store, app.id, 'cat', 'unsid-cat-2', 'second').then((second) => {
      order.push('device');
      return second;
    });
    rmSync(join(dataDir, 'tidings.db.hold'));
    const [change, second] = await Promise.all([posted, created]);
    // The device waited for the batch (the writer's transaction lock), instead of meeting SQLITE_BUSY.
    expect(order).toEqual(['post', 'device']);
    expect(change?.offset).toBe(1);
    expect(second.feedId).toBe(device.feedId);
    expect((await store.findDeviceSubscription('unsid-cat-2'))?.deviceLabel).toBe('second');
    expect(await store.feedHead(device.feedId)).toMatchObject({ offset: 1 });
  });
});

describe("SQLite's writer thread, starting", () => {
  it("takes the writer's lock only once it is ready: a Prisma write meanwhile is not held behind its start", async () => {
    const dataDir = temporaryDataDir();
    const store = await openStore(dataDir);
    const { app, device, post } = await withDevice(store, 'dan');

    // The first post starts the thread, which waits before it opens its connection.
    writeFileSync(join(dataDir, 'tidings.db.slow-start'), '');
    let posted = false;
    const posting = post('first').then((change) => {
      posted = true;
      return change;
    });
    await expect.poll(() => existsSync(join(dataDir, 'tidings.db.starting'))).toBe(true);
    const second = await createDevice(store, app.id, 'dan', 'unsid-dan-2', 'second');
    // Committed while the thread was still starting (Prisma's own wait for the lock is bounded: 2 s).
    expect(posted).toBe(false);
    expect(second.feedId).toBe(device.feedId);
    rmSync(join(dataDir, 'tidings.db.slow-start'));
    expect((await posting)?.offset).toBe(1);
  });
});

describe('whether the writes get a thread (TIDINGS_SQLITE_WRITE_THREAD)', () => {
  it('is the setting, and with auto, whether the process may run on more than one CPU', () => {
    expect(loadConfig({}, { dataDir: temporaryDataDir() }).sqliteWriteThread).toBe('auto');
    expect(sqliteWritesOnThread('auto', 2)).toBe(true);
    expect(sqliteWritesOnThread('auto', 1)).toBe(false);
    expect(sqliteWritesOnThread('on', 1)).toBe(true);
    expect(sqliteWritesOnThread('off', 8)).toBe(false);
  });
});
