import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEmbeddedIssuer } from '../../src/auth/embedded-issuer.js';
import { registerApp } from '../../src/auth/register-app.js';
import { loadOrCreateSigningKey } from '../../src/auth/signing-key.js';
import { loadConfig } from '../../src/config/config.js';
import { BULK_EDIT_CHUNK } from '../../src/delivery/feed-writer.js';
import { createPostgresStore } from '../../src/store/postgres-store.js';
import { startChildGateway } from '../support/child-gateway.js';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { fetchAppToken, temporaryDataDir, testRedisUrl } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { notificationContent } from '../support/notification-content.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { createTestSchema, testPostgresUrl } from '../support/postgres.js';
import { eventually } from '../support/state-operations.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const HOST = 'scale.example.com';

/**
 * One installation for several gateway processes: a PostgreSQL schema, a Redis prefix, and a data
 * directory holding the signing key they share. Returns an app, its token source and a user token.
 */
async function installation(overrides: { databaseUrl?: (url: string) => string; redisUrl?: string } = {}) {
  const { url } = await createTestSchema();
  const dataDir = temporaryDataDir();
  const env = {
    DATABASE_URL: overrides.databaseUrl ? overrides.databaseUrl(url) : url,
    REDIS_URL: overrides.redisUrl ?? testRedisUrl(),
    TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
  };
  const store = await createPostgresStore({ databaseUrl: url, bounds: loadConfig({}, { dataDir }).postgres });
  onCleanup(() => store.close());
  const { app, clientSecret } = await registerApp(store, { targetHostName: HOST });
  const issuer = createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(dataDir),
    issuer: 'urn:tidings:embedded',
    audience: 'tidings',
  });
  const userToken = await issuer.issueUserToken('alice', app.id, 600);
  const otherUserToken = await issuer.issueUserToken('bob', app.id, 600);
  const appTokenFrom = (graphqlUrl: string) => fetchAppToken(graphqlUrl, app.id, clientSecret);
  /** A gateway process of this installation. */
  const startProcess = () => startChildGateway(env, dataDir);
  /** Two of them, started at once (as a deployment would). */
  const startTwoProcesses = () => Promise.all([startProcess(), startProcess()]);
  return { env, dataDir, store, userToken, otherUserToken, appTokenFrom, startProcess, startTwoProcesses };
}

describe('several gateway processes on one PostgreSQL and one Redis', () => {
  it('delivers live to a device on process A what the app posts to process B', async () => {
    const setup = await installation();
    const [a, b] = await setup.startTwoProcesses();
    const appToken = await setup.appTokenFrom(b.url);
    const unsid = await createDevice(a.url, setup.userToken, 'WEB');
    const onA = openFeed(a.wsUrl, setup.userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(a.url, setup.userToken),
    });
    for (const id of ['one', 'two', 'three']) {
      expect(
        dataOf(
          await postNotification(b.url, appToken, notificationInput(unsid, HOST, { appNotificationId: id })),
        ).createNotification.outcome,
      ).toBe('CREATED');
    }
    const received = await onA.until((change) => change.notification?.appNotificationId === 'three', 15_000);
    expect(received.map((change) => change.notification?.appNotificationId)).toEqual(['one', 'two', 'three']);
    // Deleting the device through B ends its live feed on A.
    const deleted = await graphql(
      b.url,
      'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }',
      { id: unsid },
      setup.userToken,
    );
    expect(errorCodes(deleted)).toEqual([]);
    await onA.completed;
  });

  it('delivers to a device on process A a bulk change made on process B, too large for one Redis message', {
    timeout: 120_000,
  }, async () => {
    const setup = await installation();
    const [a, b] = await setup.startTwoProcesses();
    const unsid = await createDevice(a.url, setup.userToken, 'WEB');
    const device = await setup.store.findDeviceSubscription(unsid);
    if (!device) throw new Error('no device');
    // More unread notifications than one chunk of the bulk edit, each chunk more than a Redis message carries.
    const count = BULK_EDIT_CHUNK + 50;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        setup.store.postNotification({
          target: { feedId: device.feedId },
          content: notificationContent(HOST, `unread-${i}`),
          now: new Date(),
        }),
      ),
    );
    const onA = openFeed(a.wsUrl, setup.userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(a.url, setup.userToken),
    });
    // Live on A once it has a notification posted through B.
    const appToken = await setup.appTokenFrom(b.url);
    dataOf(
      await postNotification(b.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'live' })),
    );
    await onA.until((change) => change.notification?.appNotificationId === 'live', 15_000);

    const marked = dataOf(
      await graphql<{ markAllRead: { count: number } }>(
        b.url,
        'mutation { markAllRead { count } }',
        {},
        setup.userToken,
      ),
    );
    expect(marked.markAllRead.count).toBe(count + 1);
    let taken = 0;
    const changes = await onA.until(() => ++taken === count + 1, 30_000);
    expect(
      changes.every((change) => change.kind === 'STATE_CHANGED' && change.notification?.readState === 'READ'),
    ).toBe(true);
    expect(new Set(changes.map((change) => change.notification?.id)).size).toBe(count + 1);
  });

  it('loses nothing answered with success when a process is killed -9 in the middle of a burst', async () => {
    const setup = await installation();
    const [survivor, victim] = await setup.startTwoProcesses();
    const appToken = await setup.appTokenFrom(victim.url);
    const unsid = await createDevice(victim.url, setup.userToken, 'ANDROID');
    const start = await feedCursor(victim.url, setup.userToken);
    const device = openFeed(victim.wsUrl, setup.userToken, { deviceSubscriptionId: unsid, after: start });
    const acknowledged: string[] = [];
    let failed = 0;
    let killed = false;
    // Each writer posts until the kill cuts it off (its first post that gets no answer after the kill), so
    // the kill lands while all of them are posting. (Stopping a few posts after the kill's order instead let
    // every writer finish before the process died, once in CI: then nothing was cut off.) 200 answered
    // posts after the order would mean the kill did not stop the process.
    const writers = [0, 1, 2, 3].map(async (writer) => {
      let sinceKill = 0;
      for (let i = 0; ; i++) {
        const response = await postNotification(
          victim.url,
          appToken,
          notificationInput(unsid, HOST, { appNotificationId: `w${writer}-${i}` }),
        ).catch(() => null);
        if (response?.data?.createNotification)
          acknowledged.push(response.data.createNotification.notification.id as string);
        else failed++;
        if (killed && (response === null || ++sinceKill >= 200)) return;
      }
    });
    await eventually(async () => expect(acknowledged.length).toBeGreaterThanOrEqual(100), 20_000);
    killed = true;
    await victim.kill();
    await Promise.all(writers);
    expect(failed).toBeGreaterThan(0); // the kill did stop the process in the middle of the burst

    // The device got some live; it reconnects to the survivor from its last cursor.
    const seen = device.received.map((change) => change.notification?.id as string);
    const last = device.received.at(-1)?.cursor ?? start;
    const resumed = openFeed(survivor.wsUrl, setup.userToken, { deviceSubscriptionId: unsid, after: last });
    const head = await feedCursor(survivor.url, setup.userToken);
    const rest: string[] = [];
    if (head !== last) {
      const changes = await resumed.until((change) => change.cursor === head, 15_000);
      rest.push(...changes.map((change) => change.notification?.id as string));
    }
    const everything = [...seen, ...rest];
    expect(new Set(everything).size).toBe(everything.length);
    for (const id of acknowledged) expect(everything).toContain(id);
    // And every acknowledged notification is in the store.
    const feedId = (await setup.store.findDeviceSubscription(unsid))?.feedId as string;
    const stored = new Set(
      (await setup.store.readChanges(feedId, 0, 100_000)).map((change) => change.notification.id),
    );
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
  });

  it('keeps answering while Redis is cut off, and delivers what was missed when it returns', async () => {
    const redis = new URL(testRedisUrl());
    const proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
    const setup = await installation({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    const [a, b] = await setup.startTwoProcesses();
    const appToken = await setup.appTokenFrom(b.url);
    const unsid = await createDevice(a.url, setup.userToken, 'WEB');
    const bobsDevice = await createDevice(a.url, setup.otherUserToken, 'WEB');
    const bobsCursor = await feedCursor(a.url, setup.otherUserToken);
    const onA = openFeed(a.wsUrl, setup.userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(a.url, setup.userToken),
    });
    await postNotification(b.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'before' }));
    expect((await onA.next(15_000)).notification?.appNotificationId).toBe('before');

    await proxy.cut();
    const during: string[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await postNotification(
        b.url,
        appToken,
        notificationInput(unsid, HOST, { appNotificationId: `during-${i}` }),
      );
      expect(errorCodes(response)).toEqual([]); // the store answers; Redis is only a wake-up
      during.push(`during-${i}`);
    }
    // A feed that starts while Redis is away (its channel cannot be subscribed yet) still gets its
    // replay from the store, without waiting for Redis...
    await postNotification(
      b.url,
      appToken,
      notificationInput(bobsDevice, HOST, { appNotificationId: 'bob-1' }),
    );
    const bobOnA = openFeed(a.wsUrl, setup.otherUserToken, {
      deviceSubscriptionId: bobsDevice,
      after: bobsCursor,
    });
    expect((await bobOnA.next(5000)).notification?.appNotificationId).toBe('bob-1');
    const notReady = await fetch(b.url.replace(/\/graphql$/, '/readyz'));
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ store: true, fanout: false });

    await proxy.restore();
    // No new post is needed: the reconnected subscriber tells its feeds to read the store.
    const caughtUp = await onA.until(
      (change) => change.notification?.appNotificationId === 'during-19',
      30_000,
    );
    expect(caughtUp.map((change) => change.notification?.appNotificationId)).toEqual(during);
    // ...and hears live changes once Redis is back.
    await postNotification(
      b.url,
      appToken,
      notificationInput(bobsDevice, HOST, { appNotificationId: 'bob-2' }),
    );
    expect((await bobOnA.next(15_000)).notification?.appNotificationId).toBe('bob-2');
    await eventually(
      async () => expect((await fetch(b.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200),
      15_000,
    );
  });

  it('fails mutations with a retryable error while PostgreSQL refuses connections, and recovers by itself', async () => {
    const postgres = new URL(testPostgresUrl());
    const proxy = await startTcpProxy(postgres.hostname, Number(postgres.port || 5432));
    const setup = await installation({
      databaseUrl: (url) => {
        const through = new URL(url);
        through.host = `127.0.0.1:${proxy.port}`;
        return through.toString();
      },
    });
    const gateway = await setup.startProcess();
    const appToken = await setup.appTokenFrom(gateway.url);
    const unsid = await createDevice(gateway.url, setup.userToken, 'WEB');
    const feedId = (await setup.store.findDeviceSubscription(unsid))?.feedId as string;

    await proxy.cut();
    const refused = await postNotification(
      gateway.url,
      appToken,
      notificationInput(unsid, HOST, { appNotificationId: 'refused' }),
    );
    expect(refused.data?.createNotification ?? null).toBeNull();
    expect(errorCodes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
    expect((await fetch(gateway.url.replace(/\/graphql$/, '/readyz'))).status).toBe(503);
    expect((await setup.store.readChanges(feedId, 0, 10)).length).toBe(0); // never a false success

    await proxy.restore();
    await eventually(async () => {
      const response = await postNotification(
        gateway.url,
        appToken,
        notificationInput(unsid, HOST, { appNotificationId: 'after' }),
      );
      expect(errorCodes(response)).toEqual([]);
    }, 20_000);
    expect(
      (await setup.store.readChanges(feedId, 0, 10)).map((change) => change.notification.appNotificationId),
    ).toEqual(['after']);
  });
});

describe('processes sharing one feed', () => {
  it('allocate dense offsets with no race when two processes write to one user at once', async () => {
    const setup = await installation();
    const [a, b] = await setup.startTwoProcesses();
    const tokens = await Promise.all([setup.appTokenFrom(a.url), setup.appTokenFrom(b.url)]);
    const unsid = await createDevice(a.url, setup.userToken, 'WEB');
    const responses = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const [url, token] = i % 2 === 0 ? [a.url, tokens[0]] : [b.url, tokens[1]];
        // Every tenth one repeats a key, so concurrent upserts of one notification race too.
        const key = i % 10 === 9 ? 'shared' : `n-${i}`;
        return postNotification(
          url,
          token as string,
          notificationInput(unsid, HOST, { appNotificationId: key }),
        );
      }),
    );
    for (const response of responses) expect(errorCodes(response)).toEqual([]);
    const feedId = (await setup.store.findDeviceSubscription(unsid))?.feedId as string;
    const log = await setup.store.readChanges(feedId, 0, 1000);
    expect(log.map((change) => change.offset)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(log.filter((change) => change.kind === 'CREATED')).toHaveLength(109); // 108 unique + 'shared' once
    expect(responses.filter((r) => r.data?.createNotification.outcome === 'REPLACED')).toHaveLength(11);
  });

  it('on SIGTERM closes live sockets with 1001, answers what is in flight, and exits 0', async () => {
    const setup = await installation();
    const gateway = await setup.startProcess();
    const unsid = await createDevice(gateway.url, setup.userToken, 'WEB');
    const feed = openFeed(gateway.wsUrl, setup.userToken, { deviceSubscriptionId: unsid });
    await eventually(async () => expect(gateway.output()).toContain('listening'), 5000);
    const appToken = await setup.appTokenFrom(gateway.url);
    // Make sure the socket is subscribed before the stop.
    await eventually(async () => {
      await postNotification(gateway.url, appToken, notificationInput(unsid, HOST));
      expect(feed.received.length).toBeGreaterThan(0);
    }, 10_000);
    // Caught at once: if the stop cuts it, that rejection is an outcome to check, not an unhandled one.
    const inFlight = postNotification(
      gateway.url,
      appToken,
      notificationInput(unsid, HOST, { appNotificationId: 'in-flight' }),
    ).catch(() => null);
    const exit = gateway.stop();
    expect(await feed.closed).toBe(1001);
    expect(await exit).toBe(0);
    const answer = await inFlight;
    // Either answered before the stop (then it is stored) or refused at the door (then it is not).
    const feedId = (await setup.store.findDeviceSubscription(unsid))?.feedId as string;
    const stored = (await setup.store.readChanges(feedId, 0, 1000)).some(
      (c) => c.notification.appNotificationId === 'in-flight',
    );
    expect(stored).toBe(Boolean(answer?.data?.createNotification));
  });
});
