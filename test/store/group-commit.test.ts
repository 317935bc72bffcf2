import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Change } from '../../src/domain/types.js';
import { createStore } from '../../src/store/create-store.js';
import type { PostRequest, Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { storeEnv, temporaryDataDir, testStore } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { connectPostgres, createTestDatabase } from '../support/postgres.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'batch.example.com';
const USERS = 6;

const content = (appNotificationId: string, title?: string) =>
  notificationContent(HOST, appNotificationId, title);

// Concurrent posts are committed together; each must still get exactly what a post alone would.
describe('posting notifications with group commit', () => {
  let store: Store;
  let appId: string;
  let queries = 0;
  const unsids: string[] = [];

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    store = await createStore(loadConfig(await storeEnv(dataDir), { dataDir }), () => {
      queries += 1;
    });
    onCleanup(() => store.close());
    ({
      app: { id: appId },
    } = await registerApp(store, { targetHostName: HOST }));
    for (let user = 0; user < USERS; user += 1) {
      unsids.push((await createWebDevice(store, appId, `user-${user}`, `unsid-${user}`)).id);
    }
  });

  const post = (user: number, key: string, title?: string) =>
    store.postNotification({
      target: { deviceSubscriptionId: unsids[user] as string, appId },
      content: content(key, title),
      now: new Date(),
    });

  it('gives every concurrent post its own dense offset, the right kind, and what the store then holds', async () => {
    queries = 0;
    const posts: Array<{ user: number; key: string; title: string }> = [];
    for (let i = 0; i < 60; i += 1) {
      // Every user gets ten posts; keys repeat, so some posts replace one posted in the same batch.
      posts.push({ user: i % USERS, key: `key-${i % 4}`, title: `title ${i}` });
    }
    const changes = (await Promise.all(posts.map((p) => post(p.user, p.key, p.title)))) as Change[];
    expect(changes.every((change) => change !== null)).toBe(true);
    // Far fewer statements than posts: they shared transactions (alone, a post takes seven).
    expect(queries).toBeLessThan(posts.length * 3);

    for (let user = 0; user < USERS; user += 1) {
      const mine = changes.filter((_, i) => posts[i]?.user === user);
      const feedId = mine[0]?.feedId as string;
      expect(mine.map((change) => change.offset)).toEqual(mine.map((_, i) => i + 1));
      // The log holds exactly the answered changes, in order.
      const logged = await store.readChanges(feedId, 0, 100);
      expect(logged.map((change) => [change.offset, change.kind, change.notification.id])).toEqual(
        mine.map((change) => [change.offset, change.kind, change.notification.id]),
      );
      // A key's first post creates it; every later one replaces the same notification.
      const seen = new Map<string, string>();
      for (const [i, change] of mine.entries()) {
        const key = posts.filter((p) => p.user === user)[i]?.key as string;
        expect(change.kind).toBe(seen.has(key) ? 'REPLACED' : 'CREATED');
        if (seen.has(key)) expect(change.notification.id).toBe(seen.get(key));
        seen.set(key, change.notification.id);
      }
      // What a post answered is what the store holds (the last change of each notification).
      for (const id of seen.values()) {
        const last = mine.filter((change) => change.notification.id === id).at(-1);
        expect(await store.findNotification(feedId, id)).toEqual(last?.notification);
      }
    }
  });

  it('stores every column of a created notification as the post answered it, and finds it by its key', async () => {
    const rich = {
      ...content('rich-key', 'Rich'),
      rawContent: '{"n":1}',
      priority: 'HIGH',
      groupName: 'group-a',
      displayTimeToLive: 60,
      platformTypes: ['WEB', 'ANDROID'],
      fallbackPolicy: {
        platformTypes: ['ANDROID'],
        fallbackDelayInSeconds: 30,
        visualContent: { title: 'Fallback', body: null },
      },
    } as const;
    const now = new Date();
    const [created, plain] = (await Promise.all([
      store.postNotification({
        target: { deviceSubscriptionId: unsids[4] as string, appId },
        content: rich,
        now,
      }),
      post(4, 'plain-key'),
    ])) as Change[];
    expect(created?.kind).toBe('CREATED');
    expect(created?.notification).toMatchObject({
      appNotificationId: 'rich-key',
      groupName: 'group-a',
      displayTimeToLive: 60,
      platformTypes: ['WEB', 'ANDROID'],
      fallbackPolicy: rich.fallbackPolicy,
      createdDateTime: now,
      expirationDateTime: rich.expirationDateTime,
    });
    for (const change of [created, plain] as Change[]) {
      const { feedId, appNotificationId } = change.notification;
      expect(await store.findNotificationByAppId(feedId, appNotificationId)).toEqual(change.notification);
      expect((await store.readChanges(feedId, change.offset - 1, 1))[0]).toEqual(change);
    }
  });

  // On SQLite posts are written on the connection Prisma's other writes use (sqlite-post-writer.ts): the
  // two must take turns, never run inside each other's transaction.
  it('interleaves posts with other writes to the same feed: every change logged once, offsets dense', async () => {
    const first = (await post(5, 'mixed-0')) as Change;
    const { feedId } = first;
    const writes: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 20; i += 1) {
      writes.push(post(5, `mixed-${i}`));
      writes.push(
        store.editNotifications(
          feedId,
          { ids: [first.notification.id] },
          () => ({ kind: 'STATE_CHANGED', set: { readState: i % 2 ? 'READ' : 'UNREAD' } }),
          new Date(),
        ),
      );
    }
    await Promise.all(writes);
    const logged = await store.readChanges(feedId, first.offset, 100);
    expect(logged.map((change) => change.offset)).toEqual(logged.map((_, i) => first.offset + 1 + i));
    expect(logged.filter((change) => change.kind === 'CREATED')).toHaveLength(20);
    expect(logged.filter((change) => change.kind === 'STATE_CHANGED')).toHaveLength(20);
  });

  it('answers null for an unknown, foreign or expired UNSID without failing the posts beside it', async () => {
    const expired = await store.createDeviceSubscription({
      id: `expired-${Math.random().toString(36).slice(2)}`,
      owner: { appId, issuer: 'urn:test', subject: 'user-0' },
      platform: 'WEB',
      deviceLabel: 'old',
      expirationDateTime: new Date(Date.now() + 1000),
      now: new Date(),
      maxDevices: 100,
    });
    const { app: other } = await registerApp(store, { targetHostName: 'other-batch.example.com' });
    const requests: PostRequest[] = [
      { target: { deviceSubscriptionId: 'no-such-unsid', appId }, content: content('x'), now: new Date() },
      {
        target: { deviceSubscriptionId: unsids[1] as string, appId: other.id },
        content: content('x'),
        now: new Date(),
      },
      {
        target: { deviceSubscriptionId: expired.id, appId },
        content: content('x'),
        now: new Date(Date.now() + 2000),
      },
      {
        target: { deviceSubscriptionId: unsids[2] as string, appId },
        content: content('fine'),
        now: new Date(),
      },
    ];
    const answers = await Promise.all(requests.map((request) => store.postNotification(request)));
    expect(answers.slice(0, 3)).toEqual([null, null, null]);
    expect(answers[3]?.kind).toBe('CREATED');
  });

  it("creates a new user's first devices at once in one feed (no race on the feed's unique key)", async () => {
    const now = new Date();
    const devices = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.createDeviceSubscription({
          id: `first-${i}-${Math.random().toString(36).slice(2)}`,
          owner: { appId, issuer: 'urn:test', subject: 'newcomer' },
          platform: 'WEB',
          deviceLabel: `device ${i}`,
          expirationDateTime: new Date(now.getTime() + 86_400_000),
          now,
          maxDevices: 100,
        }),
      ),
    );
    expect(new Set(devices.map((device) => device.feedId)).size).toBe(1);
  });

  it('fails only the post the database refuses when posts share a commit', async () => {
    const feedId = (await store.findDeviceSubscription(unsids[3] as string))?.feedId as string;
    const before = (await store.feedHead(feedId)).offset;
    // A key over the column's type (not a string) makes the database layer refuse this one post.
    const broken = content(12345 as unknown as string);
    const results = await Promise.allSettled([
      post(3, 'good-1'),
      store.postNotification({ target: { feedId }, content: broken, now: new Date() }),
      post(3, 'good-2'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const head = (await store.feedHead(feedId)).offset;
    expect(head).toBe(before + 2);
    const logged = await store.readChanges(feedId, before, 10);
    expect(logged.map((change) => change.notification.appNotificationId).sort()).toEqual([
      'good-1',
      'good-2',
    ]);
  });
});

/** An error's code and its cause's (e.g. SERVICE_UNAVAILABLE P2034), for a readable failure. */
const failureOf = (error: unknown): string => {
  const { code, originalError, message } = error as {
    code?: string;
    message?: string;
    originalError?: { code?: string; message?: string };
  };
  return [code ?? message, originalError?.code, originalError?.message?.slice(0, 300)]
    .filter(Boolean)
    .join(' ');
};

// Two processes' batches lock overlapping sets of feeds: they must queue, never deadlock.
describe.runIf(testStore === 'postgres')('group commit on PostgreSQL from two processes', () => {
  it('posts to overlapping users from two stores at once with no deadlock and dense offsets', async () => {
    // A deadlock does not always fail a post: the batch it aborts is written again request by request.
    // So the test counts deadlocks too, in a database of its own: PostgreSQL counts them per database,
    // and other test files share the test database.
    const { url, database } = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: url }, { dataDir: temporaryDataDir() });
    const [one, two] = [await createStore(config), await createStore(config)];
    let closed = false;
    const closeBoth = async () => {
      if (closed) return;
      closed = true;
      await Promise.all([one.close(), two.close()]);
    };
    onCleanup(closeBoth);
    const { app } = await registerApp(one, { targetHostName: HOST });
    const now = new Date();
    const unsids: string[] = [];
    for (let user = 0; user < 20; user += 1) {
      const device = await one.createDeviceSubscription({
        id: `pg-${user}-${Math.random().toString(36).slice(2)}`,
        owner: { appId: app.id, issuer: 'urn:test', subject: `user-${user}` },
        platform: 'WEB',
        deviceLabel: 'web',
        expirationDateTime: new Date(now.getTime() + 86_400_000),
        now,
        maxDevices: 100,
      });
      unsids.push(device.id);
    }
    const client = await connectPostgres();
    const deadlocks = async () =>
      Number(
        (await client.query('SELECT deadlocks FROM pg_stat_database WHERE datname = $1', [database])).rows[0]
          .deadlocks,
      );
    const before = await deadlocks();
    let n = 0;
    const burst = (store: Store) =>
      Array.from({ length: 1000 }, () => {
        n += 1;
        return store.postNotification({
          target: {
            deviceSubscriptionId: unsids[Math.floor(Math.random() * unsids.length)] as string,
            appId: app.id,
          },
          content: content(`k-${n}`),
          now: new Date(),
        });
      });
    const settled = await Promise.allSettled([...burst(one), ...burst(two)]);
    // No post failed (e.g. SERVICE_UNAVAILABLE: a deadlock or a timeout failed its batch).
    expect(
      settled.flatMap((result) => (result.status === 'rejected' ? [failureOf(result.reason)] : [])),
    ).toEqual([]);
    const answers = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(answers.every((answer) => answer?.kind === 'CREATED')).toBe(true);
    // Every post committed once: each feed's log holds exactly the changes its posts answered, densely.
    const byFeed = new Map<string, Change[]>();
    for (const answer of answers) {
      if (answer) byFeed.set(answer.feedId, [...(byFeed.get(answer.feedId) ?? []), answer]);
    }
    for (const [feedId, changes] of byFeed) {
      const answered = [...changes].sort((a, b) => a.offset - b.offset);
      expect(answered.map((change) => change.offset)).toEqual(answered.map((_, i) => i + 1));
      const logged = await one.readChanges(feedId, 0, answered.length + 1);
      expect(logged.map((change) => [change.offset, change.notification.appNotificationId])).toEqual(
        answered.map((change) => [change.offset, change.notification.appNotificationId]),
      );
    }
    expect([...byFeed.values()].flat()).toHaveLength(2000);
    // A backend adds its deadlocks to the database's count at the latest when it exits, before it leaves
    // pg_stat_activity: once no connection to the database is left, every deadlock met is counted.
    await closeBoth();
    await expect
      .poll(
        async () =>
          Number(
            (await client.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [database]))
              .rows[0].n,
          ),
        { timeout: 10_000 },
      )
      .toBe(0);
    expect(await deadlocks()).toBe(before);
  });
});
