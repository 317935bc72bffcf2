import { describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import {
  createDevice,
  FEED,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { closeOf, rawSocket } from '../support/raw-socket.js';

const HOST = 'expiry.example.com';
const TOLERANCE_SECONDS = 5; // TIDINGS_CLOCK_TOLERANCE's default

/** A gateway on a clock the test moves, alice's device, and a token of alice's that lasts a minute. */
async function setUp() {
  const clock = createTestClock();
  const t = await startGateway({ now: clock.now });
  const app = await t.registerApp(HOST);
  const appToken = await app.token();
  const longToken = await t.userToken('alice', app.app);
  const unsid = await createDevice(t.url, longToken, 'WEB');
  const token = await t.userToken('alice', app.app, 60);
  // The token's `exp`, as the issuer sets it from the gateway's clock.
  const exp = Math.floor(clock.now().getTime() / 1000) + 60;
  return {
    t,
    app,
    appToken,
    unsid,
    token,
    longToken,
    /** Sets the gateway's clock `seconds` past the token's `exp`. */
    pastExp: (seconds: number) => clock.set(new Date((exp + seconds) * 1000)),
    post: (appNotificationId: string) =>
      postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId })),
    /** Whether the token is accepted over HTTP now: the codes of a query made with it. */
    httpCodes: async () => errorCodes(await graphql(t.url, FEED, { first: 1 }, token)),
  };
}

describe('a token that runs out while its socket is open', () => {
  it('is accepted on both transports within the clock tolerance, then refused by both: 401, and the socket closed with 4403', async () => {
    const s = await setUp();
    const cursor = await feedCursor(s.t.url, s.longToken);

    // 3 s past `exp`, inside the tolerance: HTTP accepts the token, and a socket opened with it stays.
    s.pastExp(3);
    expect(await s.httpCodes()).toEqual([]);
    const feed = openFeed(s.t.wsUrl, s.token, { deviceSubscriptionId: s.unsid, after: cursor });
    await s.post('before');
    const before = await feed.next();
    expect(before.notification?.appNotificationId).toBe('before');

    // At `exp` + tolerance, by the same clock: refused over HTTP, and the socket is closed.
    s.pastExp(TOLERANCE_SECONDS);
    expect(await s.httpCodes()).toEqual(['UNAUTHENTICATED']);
    expect(await feed.closed).toBe(4403); // an event, bounded by the test timeout

    // Posted while the device has no socket; a fresh token resumes from the cursor.
    await s.post('while-away');
    const resumed = openFeed(s.t.wsUrl, s.longToken, { deviceSubscriptionId: s.unsid, after: before.cursor });
    expect((await resumed.next()).notification?.appNotificationId).toBe('while-away');
  });

  it('gets nothing more done on a socket whose token ran out, even before its timer fires', async () => {
    const s = await setUp();
    const raw = rawSocket(s.t.wsUrl);
    await raw.opened;
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${s.token}` } });
    await raw.message('connection_ack');
    // The socket's timer waits about a minute of real time; the clock jumps past the tolerance at once.
    s.pastExp(TOLERANCE_SECONDS);
    raw.send({ id: '1', type: 'subscribe', payload: { query: FEED, variables: { first: 1 } } });
    expect((await closeOf(raw)).code).toBe(4403);
    // The query was not run: nothing came back before the close.
    await expect(raw.message()).rejects.toThrow(/No message/);
  });
});

describe('sockets whose tokens run out at different times, on one sweep', () => {
  it('closes each idle socket with 4403 "Token expired" once the clock passes its token, and only that one', async () => {
    const clock = createTestClock();
    const t = await startGateway({ now: clock.now });
    const app = await t.registerApp(HOST);
    // Tokens of an hour and of two hours: a timer per socket would wait that long in real time; the
    // sweep reads the gateway's clock every second.
    const hour = await t.userToken('alice', app.app, 3600);
    const twoHours = await t.userToken('bob', app.app, 7200);
    const authenticated = async (token: string) => {
      const raw = rawSocket(t.wsUrl);
      await raw.opened;
      raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
      await raw.message('connection_ack');
      return raw;
    };
    const first = await authenticated(hour);
    const second = await authenticated(hour);
    const third = await authenticated(twoHours);
    // Past the first tokens' exp + tolerance (by the gateway's clock), not the third's.
    clock.advance((3600 + TOLERANCE_SECONDS + 1) * 1000);
    expect(await closeOf(first, 10_000)).toEqual({ code: 4403, reason: 'Token expired' });
    expect(await closeOf(second, 10_000)).toEqual({ code: 4403, reason: 'Token expired' });
    // The third still serves: a ping is answered (it would be closed had its token been taken for the others').
    third.send({ type: 'ping' });
    await third.message('pong');
    clock.advance(3600 * 1000);
    expect(await closeOf(third, 10_000)).toEqual({ code: 4403, reason: 'Token expired' });
  });
});

describe('a token past its exp but within the clock tolerance, on the real clock', () => {
  it('opens a socket that stays open, as HTTP accepts it (it was closed at once with 4403)', async () => {
    // A tolerance of 5 minutes, so that the real clock cannot reach exp + tolerance during the test.
    const t = await startGateway({ env: { TIDINGS_CLOCK_TOLERANCE: '5m' } });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const expired = await t.userToken('alice', app.app, -3); // `exp` 3 s ago
    expect(errorCodes(await graphql(t.url, FEED, { first: 1 }, expired))).toEqual([]);
    const feed = openFeed(t.wsUrl, expired, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, expired),
    });
    await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, HOST, { appNotificationId: 'delivered' }),
    );
    expect((await feed.next()).notification?.appNotificationId).toBe('delivered');
  });
});
