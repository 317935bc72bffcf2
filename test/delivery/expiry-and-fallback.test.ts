import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { feedCursor, WITH_ANDROID_FALLBACK } from '../support/operations.js';
import {
  ACKNOWLEDGE,
  craftCursor,
  createUser,
  cursorPosition,
  listedIds,
  NOTIFICATION,
  type TestUser,
  untilNotification,
} from '../support/state-operations.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/**
 * A gateway on a clock the test moves. The sweeper's timer is off, so only `sweepOnce` sweeps and its
 * report counts exactly what the test caused. Tokens are checked by that clock too: app tokens last a
 * day, longer than the clock is moved (user tokens from `t.userToken` do by default).
 */
async function gatewayWithClock(env: Record<string, string> = {}) {
  const clock = { now: new Date() };
  const t = await startGateway({
    now: () => clock.now,
    env: { TIDINGS_SWEEP_INTERVAL_MS: '0', TIDINGS_APP_TOKEN_TTL: '1d', ...env },
  });
  const advance = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  return { t, clock, advance };
}

const NOTHING = { expired: 0, fallbacks: 0, purged: 0 };

describe('expiry', () => {
  let t: TestGateway;
  let clock: { now: Date };
  let advance: (ms: number) => void;
  let app: TestApp;
  let appToken: string;

  beforeAll(async () => {
    ({ t, clock, advance } = await gatewayWithClock());
    app = await t.registerApp('expiry.example.com');
    appToken = await app.token();
  });

  it('past its expirationDateTime a notification leaves every feed, with one EXPIRED change', async () => {
    const user = await createUser(t, app, 'alice', { laptop: 'WEB', phone: 'ANDROID' });
    const feeds = [await user.open('laptop'), await user.open('phone')];
    const expiring = await user.post(appToken, {
      expirationDateTime: new Date(clock.now.getTime() + HOUR).toISOString(),
    });
    const lasting = await user.post(appToken);
    for (const feed of feeds) await untilNotification(feed, lasting);

    // Not yet due.
    advance(HOUR - SECOND);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    advance(2 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual({ expired: 1, fallbacks: 0, purged: 0 });
    for (const feed of feeds) {
      const change = await feed.next();
      expect(change.kind).toBe('EXPIRED');
      expect(change.notification).toMatchObject({ id: expiring, status: 'DELETED' });
    }
    expect(await listedIds(t.url, user.token)).toEqual([lasting]);
    expect(
      errorCodes(await graphql(t.url, NOTIFICATION, { notification: { id: expiring } }, user.token)),
    ).toEqual(['NOT_FOUND']);
    expect((await t.gateway.services.store.findNotificationById(expiring))?.status).toBe('DELETED');

    // Once is enough: a second sweep finds nothing, and no device hears anything more.
    const head = await t.gateway.services.store.feedHead(user.feedId);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    expect(await t.gateway.services.store.feedHead(user.feedId)).toEqual(head);
    const last = await user.post(appToken);
    for (const feed of feeds) expect((await feed.next()).notification?.id).toBe(last);
  });
});

describe('purge and resync', () => {
  let t: TestGateway;
  let advance: (ms: number) => void;
  let clock: { now: Date };
  let app: TestApp;
  let appToken: string;
  let user: TestUser;
  /** A cursor a device stored before the purge. */
  let oldCursor: string;

  beforeAll(async () => {
    // Keep the log one hour.
    ({ t, clock, advance } = await gatewayWithClock({ TIDINGS_LOG_RETENTION: '3600' }));
    app = await t.registerApp('purge.example.com');
    appToken = await app.token();
    user = await createUser(t, app, 'alice', { laptop: 'WEB', phone: 'ANDROID' });
    oldCursor = await feedCursor(t.url, user.token);
    const expiring = await user.post(appToken, {
      expirationDateTime: new Date(clock.now.getTime() + HOUR / 2).toISOString(),
    });
    await user.post(appToken);
    advance(HOUR / 2 + SECOND);
    expect((await t.gateway.sweepOnce()).expired).toBe(1);
    // Past the retention of everything logged so far, the expiry included.
    advance(HOUR + SECOND);
    const report = await t.gateway.sweepOnce();
    expect(report.expired).toBe(0);
    expect(report.purged).toBeGreaterThan(0);
    const head = await t.gateway.services.store.feedHead(user.feedId);
    expect(head.purgedThrough).toBe(head.offset);
    // The expired notification's tombstone went with its log.
    expect(await t.gateway.services.store.findNotificationById(expiring)).toBeNull();
    expect(await t.gateway.services.store.readChanges(user.feedId, 0, 100)).toEqual([]);
  });

  it('a device resuming from a cursor older than the purge is told to resync, then gets live changes', async () => {
    const feed = await user.open('laptop', oldCursor);
    const resync = await feed.next();
    expect(resync.kind).toBe('RESYNC');
    expect(resync.notification).toBeNull();
    const id = await user.post(appToken);
    const next = await feed.next();
    expect(next).toMatchObject({ kind: 'CREATED', notification: { id } });

    // The resync cursor resumes: from it, a device gets what came after it, and no second RESYNC.
    const resumed = await user.open('phone', resync.cursor);
    const first = await resumed.next();
    expect(first).toMatchObject({ kind: 'CREATED', notification: { id } });
  });

  it('a cursor of another epoch is told to resync', async () => {
    const { offset } = cursorPosition(await feedCursor(t.url, user.token));
    const foreign = craftCursor(randomUUID(), offset);
    const feed = await user.open('phone', foreign);
    expect((await feed.next()).kind).toBe('RESYNC');
    const id = await user.post(appToken);
    expect(await feed.next()).toMatchObject({ kind: 'CREATED', notification: { id } });
  });

  it('a malformed cursor fails the subscription with BAD_USER_INPUT', async () => {
    for (const cursor of [
      'not a cursor',
      craftCursor('not-an-epoch', 1),
      Buffer.from('x').toString('base64url'),
    ]) {
      const feed = await user.open('laptop', cursor);
      const errors = await feed.failed;
      expect(
        errors.map((error) => error.extensions?.code),
        cursor,
      ).toEqual(['BAD_USER_INPUT']);
      expect(feed.received).toEqual([]);
    }
  });
});

describe('endpoint fallback', () => {
  let t: TestGateway;
  let advance: (ms: number) => void;
  let app: TestApp;
  let appToken: string;
  let userCount = 0;

  beforeAll(async () => {
    ({ t, advance } = await gatewayWithClock());
    app = await t.registerApp('fallback.example.com');
    appToken = await app.token();
  });

  async function setUp() {
    const user = await createUser(t, app, `user-${++userCount}`, { phone: 'ANDROID', browser: 'WEB' });
    const phone = await user.open('phone');
    const browser = await user.open('browser');
    const id = await user.post(appToken, WITH_ANDROID_FALLBACK);
    const created = { phone: await phone.next(), browser: await browser.next() };
    for (const change of Object.values(created)) {
      expect(change).toMatchObject({ kind: 'CREATED', notification: { id } });
    }
    return { user, phone, browser, id, created };
  }

  it('sends the fallback to the fallback platform once the delay passes unacknowledged, once', async () => {
    const { user, phone, browser, id } = await setUp();

    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    advance(30 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    advance(31 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual({ expired: 0, fallbacks: 1, purged: 0 });
    const fallback = await phone.next();
    expect(fallback.kind).toBe('FALLBACK');
    expect(fallback.notification).toMatchObject({
      id,
      status: 'ACTIVE',
      fallbackPolicy: {
        endpointFallback: { platformTypes: ['ANDROID'], visualContent: { title: 'Missed call' } },
      },
    });

    // Once only; and not to the web device: the next change of each is the last notification.
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    advance(600 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    const last = await user.post(appToken);
    expect(await phone.next()).toMatchObject({ kind: 'CREATED', notification: { id: last } });
    expect(await browser.next()).toMatchObject({ kind: 'CREATED', notification: { id: last } });
  });

  it('sends no fallback when a device of the fallback platform acknowledged in time', async () => {
    const { user, phone, browser, created } = await setUp();
    advance(30 * SECOND);
    dataOf(
      await graphql(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: user.unsid('phone'), upTo: created.phone.cursor },
        user.token,
      ),
    );
    advance(31 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    advance(600 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual(NOTHING);
    const last = await user.post(appToken);
    expect(await phone.next()).toMatchObject({ kind: 'CREATED', notification: { id: last } });
    expect(await browser.next()).toMatchObject({ kind: 'CREATED', notification: { id: last } });
  });

  it('an acknowledgement by a device of another platform does not stop the fallback', async () => {
    const { user, phone, browser, id, created } = await setUp();
    dataOf(
      await graphql(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: user.unsid('browser'), upTo: created.browser.cursor },
        user.token,
      ),
    );
    advance(61 * SECOND);
    expect(await t.gateway.sweepOnce()).toEqual({ expired: 0, fallbacks: 1, purged: 0 });
    expect(await phone.next()).toMatchObject({ kind: 'FALLBACK', notification: { id } });
    const last = await user.post(appToken);
    expect(await browser.next()).toMatchObject({ kind: 'CREATED', notification: { id: last } });
  });
});
