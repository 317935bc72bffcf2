import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  MAX_PUSHES_IN_FLIGHT,
  PUSH_MAX_SLEEP_MS,
  pushClaimLeaseMs,
} from '../../src/delivery/web-push/push-dispatcher.js';
import { SOCKETS_PER_ORIGIN } from '../../src/delivery/web-push/push-sender.js';
import type { Logger } from '../../src/logger.js';
import { watchTimers } from '../support/armed-timers.js';
import { startChildGateway } from '../support/child-gateway.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, storeEnv, type TestApp, type TestGateway, testStore } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { captureLogs } from '../support/logs.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { type FakeBrowser, startPushService } from '../support/push-service.js';
import {
  DELETE_NOTIFICATION,
  eventually,
  FULL_CHANGE_SELECTION,
  untilNotification,
  updateState,
} from '../support/state-operations.js';
import { storeCalls } from '../support/store-calls.js';

// Web Push end to end: a real gateway, the push-service stand-in of test/support/push-service.ts (which
// checks VAPID and decrypts like a browser's push service), and a clock the test moves past
// TIDINGS_WEB_PUSH_DELAY. The push timer is off: `pushOnce` runs a round, so counts are exact.

const DELAY_MS = 5000;
const CREATE_WEB_DEVICE = `mutation ($input: CreateDeviceSubscriptionInput!) {
  createDeviceSubscription(input: $input) { id }
}`;
const DEVICES = 'query { deviceSubscriptions { edges { node { id webPush } } } }';
const DELIVERY = `query ($id: ID) {
  notificationDelivery(notification: { id: $id }) { devices { deviceSubscriptionId deliveredDateTime pushedDateTime } }
}`;
const WEB_PUSH = 'query { webPush { applicationServerKey } }';
const SET = `mutation ($input: SetDevicePushSubscriptionInput!) {
  setDevicePushSubscription(input: $input) { id webPush }
}`;

interface Setup {
  readonly t: TestGateway;
  readonly clock: { now: Date };
  readonly app: TestApp;
  readonly appToken: string;
  readonly userToken: string;
  /** A WEB device of the user holding the browser's push subscription. */
  webDevice(browser: FakeBrowser): Promise<string>;
  post(unsid: string, overrides?: Record<string, unknown>): Promise<string>;
  /** Moves the clock past the push delay. */
  pastDelay(): void;
}

async function setUp(
  options: { env?: Record<string, string>; logger?: Logger; dataDir?: string; clock?: { now: Date } } = {},
): Promise<Setup> {
  const clock = options.clock ?? { now: new Date() };
  const t = await startGateway({
    now: () => clock.now,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    env: {
      TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on',
      TIDINGS_WEB_PUSH_INTERVAL_MS: '0',
      TIDINGS_WEB_PUSH_DELAY: `${DELAY_MS}ms`,
      TIDINGS_SWEEP_INTERVAL_MS: '0',
      TIDINGS_APP_TOKEN_TTL: '1d',
      ...options.env,
    },
  });
  const app = await t.registerApp(`push-${Math.random().toString(36).slice(2)}.example.com`);
  const userToken = await t.userToken('alice', app.app);
  const appToken = await app.token();
  return {
    t,
    clock,
    app,
    appToken,
    userToken,
    async webDevice(browser) {
      const response = await graphql(
        t.url,
        CREATE_WEB_DEVICE,
        { input: { platform: 'WEB', deviceLabel: 'browser', pushSubscription: browser.subscription } },
        userToken,
      );
      return dataOf(response).createDeviceSubscription.id as string;
    },
    async post(unsid, overrides = {}) {
      const posted = await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, app.app.targetHostName, overrides),
      );
      return dataOf(posted).createNotification.notification.id as string;
    },
    pastDelay() {
      clock.now = new Date(clock.now.getTime() + DELAY_MS + 1000);
    },
  };
}

/** The delays of the push timer's pending timeouts (the gateway runs in this process). */
const pushTimers = watchTimers('src/delivery/web-push/push-timer.ts');

const webPushOf = async (s: Setup) =>
  dataOf(await graphql(s.t.url, DEVICES, {}, s.userToken)).deviceSubscriptions.edges.map(
    (edge: { node: { id: string; webPush: boolean } }) => edge.node,
  );

describe('Web Push', () => {
  it('pushes a change to a WEB device that is not live, once, and it decrypts to the notification', async () => {
    const service = await startPushService();
    const s = await setUp();
    const browser = service.browser();
    const device = await s.webDevice(browser);
    const phone = await createDevice(s.t.url, s.userToken, 'ANDROID');
    const expiry = new Date(s.clock.now.getTime() + 3600_000);
    const id = await s.post(device, {
      appNotificationId: 'order-42',
      priority: 'HIGH',
      groupName: 'orders',
      expirationDateTime: expiry.toISOString(),
      payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
    });
    // Not before the delay: a live feed may still deliver it.
    expect((await s.t.gateway.pushOnce()).claimed).toBe(0);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toEqual({ claimed: 1, pushed: 1, gone: 0, failed: 0, skipped: 0 });
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 0 });

    expect(service.problems).toEqual([]);
    expect(service.received).toHaveLength(1);
    const [push] = service.received;
    expect(push?.payload).toEqual({
      v: 1,
      kind: 'CREATED',
      notification: {
        id,
        appNotificationId: 'order-42',
        title: 'Shipped',
        body: 'Order 42 is on its way',
        priority: 'HIGH',
        groupName: 'orders',
        expirationDateTime: expiry.toISOString(),
      },
      tag: `tidings:${id}`,
    });
    expect(push?.urgency).toBe('high');
    expect(Number(push?.ttl)).toBe(3600 - (DELAY_MS + 1000) / 1000);
    expect(push?.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    const { webPush } = dataOf(await graphql(s.t.url, WEB_PUSH, {}, s.userToken));
    expect(push?.vapidKey).toBe(webPush.applicationServerKey);

    const delivery = dataOf(await graphql(s.t.url, DELIVERY, { id }, s.appToken)).notificationDelivery;
    const byDevice = new Map(
      delivery.devices.map((d: { deviceSubscriptionId: string }) => [d.deviceSubscriptionId, d]),
    );
    expect(byDevice.get(device)).toMatchObject({
      deliveredDateTime: null,
      pushedDateTime: s.clock.now.toISOString(),
    });
    expect(byDevice.get(phone)).toMatchObject({ pushedDateTime: null });
    const metrics = await (await fetch(`${s.t.origin}/metrics`)).text();
    expect(metrics).toContain('tidings_web_pushes_total{outcome="PUSHED"} 1');
  });

  it('a replacement is pushed again under the same Topic; raw content wakes the app to sync; a long text is cut', async () => {
    const service = await startPushService();
    const s = await setUp();
    const device = await s.webDevice(service.browser());
    await s.post(device, { appNotificationId: 'same', priority: 'LOW' });
    s.pastDelay();
    await s.t.gateway.pushOnce();
    await s.post(device, { appNotificationId: 'same', priority: 'LOW' });
    await s.post(device, { payload: { rawContent: '{"sync":true}' } });
    await s.post(device, {
      payload: { visualContent: { title: '😀'.repeat(200), body: '😀'.repeat(1000) } },
    });
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 3, pushed: 3 });
    expect(service.problems).toEqual([]);
    // The first round's one push, then the second's three, sent at once: in any order.
    const [first, ...second] = service.received;
    expect(second).toHaveLength(3);
    const [replaced, raw, long] = ['REPLACED', 'SYNC', 'CREATED'].map((kind) =>
      second.find((push) => push.payload.kind === kind),
    );
    expect(first?.payload.kind).toBe('CREATED');
    expect(replaced?.payload.kind).toBe('REPLACED');
    expect(replaced?.topic).toBe(first?.topic);
    expect(replaced?.urgency).toBe('low');
    expect(raw?.payload).toEqual({ v: 1, kind: 'SYNC', tag: 'tidings:sync' });
    expect(long?.bytes).toBeLessThanOrEqual(3000);
    expect(long?.payload.notification.body).toMatch(/^(😀)+…$/);
    expect(long?.payload.notification.title).toBe('😀'.repeat(200));
  });

  it('a push closes the notifications pushed before that the user has read or deleted since', async () => {
    const service = await startPushService();
    const s = await setUp();
    const device = await s.webDevice(service.browser());
    const read = await s.post(device);
    const deleted = await s.post(device);
    const unread = await s.post(device);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ pushed: 3 });
    expect(service.received.every((push) => push.payload.close === undefined)).toBe(true);
    dataOf(await updateState(s.t.url, s.userToken, { notification: { id: read }, readState: 'READ' }));
    dataOf(await graphql(s.t.url, DELETE_NOTIFICATION, { notification: { id: deleted } }, s.userToken));
    await s.post(device);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ pushed: 1 });
    const close = service.received.at(-1)?.payload.close;
    expect(new Set(close)).toEqual(new Set([`tidings:${read}`, `tidings:${deleted}`]));
    expect(close).not.toContain(`tidings:${unread}`);
  });

  it('the timer pushes by itself, a burst larger than one round included', async () => {
    const service = await startPushService();
    const s = await setUp({ env: { TIDINGS_WEB_PUSH_INTERVAL_MS: '50' } });
    const count = MAX_PUSHES_IN_FLIGHT + 6;
    const devices: string[] = [];
    for (let i = 0; i < count; i++) devices.push(await s.webDevice(service.browser()));
    await s.post(devices[0] as string);
    s.pastDelay();
    await service.untilReceived(count);
    expect(new Set(service.received.map((push) => push.browser)).size).toBe(count);
    expect(service.problems).toEqual([]);
  });

  it.runIf(testStore === 'sqlite')(
    'an idle timer sleeps the bound after one look and one probe of what falls due',
    async () => {
      const s = await setUp({ env: { TIDINGS_WEB_PUSH_INTERVAL_MS: '20' } });
      // Its first look an interval after the start, then the store says nothing falls due: the bound (a
      // fixed timer would be one of 20 ms, and a claim query every 20 ms).
      await eventually(async () => expect(pushTimers()).toEqual([PUSH_MAX_SLEEP_MS]));
      expect(await storeCalls(s.t.origin, 'claimDuePushes')).toBe(1);
      expect(await storeCalls(s.t.origin, 'nextPushes')).toBe(1);
    },
  );

  it('a change is pushed once its delay has passed, and one committed within an interval after it too', async () => {
    const service = await startPushService();
    const s = await setUp({ env: { TIDINGS_WEB_PUSH_INTERVAL_MS: '100' } });
    const device = await s.webDevice(service.browser());
    const postedAt = s.clock.now.getTime();
    const first = await s.post(device);
    s.clock.now = new Date(postedAt + 50);
    const second = await s.post(device);
    // Past the first change's delay only: the timer looks, and the second is not due yet.
    s.clock.now = new Date(postedAt + DELAY_MS + 1);
    await service.untilReceived(1);
    // Past the second's: it is pushed by a look an interval later, not after a long sleep.
    s.clock.now = new Date(postedAt + 50 + DELAY_MS + 1);
    await service.untilReceived(2);
    expect(service.received.map((push) => push.payload.notification.id)).toEqual([first, second]);
    expect(service.problems).toEqual([]);
    if (testStore === 'sqlite')
      await eventually(async () => expect(pushTimers()).toEqual([PUSH_MAX_SLEEP_MS]));
  });

  it('a change committed before the process started is pushed once its delay has passed, not at the bound', async () => {
    const service = await startPushService();
    const s = await setUp();
    await s.post(await s.webDevice(service.browser()));
    await s.t.close();
    // The next gateway's clock runs, two seconds short of the change's delay as it starts: its first look
    // finds nothing due, and the store tells it when the change falls due.
    const offset = s.clock.now.getTime() + DELAY_MS - 2000 - Date.now();
    const clock = {
      get now() {
        return new Date(Date.now() + offset);
      },
    };
    await setUp({ dataDir: s.t.dataDir, clock, env: { TIDINGS_WEB_PUSH_INTERVAL_MS: '20' } });
    await service.untilReceived(1);
    expect(service.problems).toEqual([]);
  });

  it('the store says when pushes fall due next: the oldest change not claimed, the oldest claim of another process', async () => {
    const service = await startPushService();
    const s = await setUp();
    const store = s.t.gateway.services.store;
    const asOf = (now: Date, claimedBefore: Date) =>
      store.nextPushes({ now, notBefore: new Date(now.getTime() - DELAY_MS - 3600_000), claimedBefore });
    expect(await asOf(s.clock.now, s.clock.now)).toEqual({ firstChange: null, firstClaim: null });
    const browser = service.browser();
    browser.answers.push({ hang: true });
    await s.post(await s.webDevice(browser));
    const postedAt = s.clock.now;
    expect(await asOf(postedAt, postedAt)).toEqual({ firstChange: postedAt, firstClaim: null });
    s.pastDelay();
    const round = s.t.gateway.pushOnce();
    await service.untilReceived(1);
    const claimedAt = s.clock.now;
    // A claim made from `claimedBefore` on is the asking process's own: left out; made before, it counts.
    expect(await asOf(claimedAt, claimedAt)).toEqual({ firstChange: null, firstClaim: null });
    expect(await asOf(claimedAt, new Date(claimedAt.getTime() + 1))).toEqual({
      firstChange: null,
      firstClaim: claimedAt,
    });
    await s.t.close();
    expect(await round).toMatchObject({ claimed: 1, pushed: 0 });
  });

  it('a device that got the change live gets no push; another device of the user does', async () => {
    const service = await startPushService();
    const s = await setUp();
    const liveBrowser = service.browser();
    const live = await s.webDevice(liveBrowser);
    const asleep = service.browser();
    await s.webDevice(asleep);
    const after = await feedCursor(s.t.url, s.userToken);
    const feed = openFeed(
      s.t.wsUrl,
      s.userToken,
      { deviceSubscriptionId: live, after },
      FULL_CHANGE_SELECTION,
    );
    const id = await s.post(live);
    await untilNotification(feed, id);
    // What live feeds sent is recorded every TIDINGS_DELIVERY_FLUSH_MS; the delay is longer than that.
    await s.t.gateway.services.deliveries.flush();
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 1, pushed: 1 });
    expect(service.received.map((push) => push.browser)).toEqual([asleep.id]);
  });

  it('404/410 drops the push subscription and keeps the device; 429 is retried after its Retry-After', async () => {
    const service = await startPushService();
    const s = await setUp();
    const gone = service.browser();
    gone.answers.push({ status: 410 });
    const goneDevice = await s.webDevice(gone);
    const busy = service.browser();
    busy.answers.push({ status: 429, retryAfter: '1' });
    const busyDevice = await s.webDevice(busy);
    await s.post(goneDevice);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 2, pushed: 1, gone: 1 });
    expect(service.received.filter((push) => push.browser === busy.id).map((push) => push.status)).toEqual([
      429, 201,
    ]);
    expect(
      new Map((await webPushOf(s)).map((d: { id: string; webPush: boolean }) => [d.id, d.webPush])),
    ).toEqual(
      new Map([
        [goneDevice, false],
        [busyDevice, true],
      ]),
    );
    await s.post(goneDevice);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 1, pushed: 1 });
    expect(service.received.filter((push) => push.browser === gone.id)).toHaveLength(1);
  });

  it('a hung push service slows no post and holds a bounded number of sockets', async () => {
    const service = await startPushService();
    const s = await setUp({ env: { TIDINGS_WEB_PUSH_TIMEOUT: '2m' } });
    const devices: string[] = [];
    for (let i = 0; i < SOCKETS_PER_ORIGIN + 4; i++) {
      const browser = service.browser();
      browser.answers.push({ hang: true });
      devices.push(await s.webDevice(browser));
    }
    await s.post(devices[0] as string);
    s.pastDelay();
    const round = s.t.gateway.pushOnce();
    await service.untilReceived(SOCKETS_PER_ORIGIN);
    expect(service.hanging()).toBe(SOCKETS_PER_ORIGIN);
    // Posts answer while every socket to the push service hangs.
    const ids = await Promise.all(Array.from({ length: 10 }, () => s.post(devices[1] as string)));
    expect(ids).toHaveLength(10);
    expect(service.hanging()).toBe(SOCKETS_PER_ORIGIN);
    expect(service.received).toHaveLength(SOCKETS_PER_ORIGIN);
    expect(service.connections().most).toBeLessThanOrEqual(SOCKETS_PER_ORIGIN);
    // Closing the gateway aborts them: nothing stays open.
    await s.t.close();
    expect(await round).toMatchObject({ claimed: SOCKETS_PER_ORIGIN + 4, pushed: 0 });
    // None had an answer, so none is lost: the next gateway on the store sends them all (now answered 201).
    const next = await setUp({ dataDir: s.t.dataDir, clock: s.clock });
    expect(await next.t.gateway.pushOnce()).toMatchObject({
      claimed: SOCKETS_PER_ORIGIN + 4,
      pushed: SOCKETS_PER_ORIGIN + 4,
    });
    expect(service.problems).toEqual([]);
  });

  it('a claim whose process was killed (-9) is taken over once its lease has passed, and pushed', async () => {
    const service = await startPushService();
    const s = await setUp();
    const browsers = [service.browser(), service.browser(), service.browser()];
    const devices: string[] = [];
    for (const browser of browsers) {
      browser.answers.push({ hang: true }); // then 201, the default
      devices.push(await s.webDevice(browser));
    }
    await s.post(devices[0] as string); // one notification: a push to each of alice's devices
    await s.t.close();
    // A real process claims them on its timer, sends them to a push service that never answers, and dies.
    const child = await startChildGateway(
      {
        ...(await storeEnv(s.t.dataDir)),
        TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on',
        TIDINGS_WEB_PUSH_INTERVAL_MS: '50',
        TIDINGS_DELIVERY_FLUSH_MS: '100',
        TIDINGS_WEB_PUSH_DELAY: '0ms',
      },
      s.t.dataDir,
    );
    await service.untilReceived(devices.length);
    expect(service.hanging()).toBe(devices.length);
    await child.kill();

    const lease = pushClaimLeaseMs(10_000); // TIDINGS_WEB_PUSH_TIMEOUT's default
    const next = await setUp({ dataDir: s.t.dataDir, clock: { now: new Date(Date.now() + lease - 30_000) } });
    // Within the lease the claims are the dead process's still: a live one would be sending them.
    expect(await next.t.gateway.pushOnce()).toMatchObject({ claimed: 0 });
    next.clock.now = new Date(Date.now() + lease + 1000);
    expect(await next.t.gateway.pushOnce()).toMatchObject({
      claimed: devices.length,
      pushed: devices.length,
    });
    expect(await next.t.gateway.pushOnce()).toMatchObject({ claimed: 0 });
    expect(service.received.filter((push) => push.status === 201)).toHaveLength(devices.length);
    expect(service.problems).toEqual([]);
  });

  it('a claim taken over from a process that was only slow stays the new owner’s: the first one’s release changes nothing', async () => {
    const service = await startPushService();
    const first = await setUp({ clock: { now: new Date() } });
    const browser = service.browser();
    browser.answers.push({ hang: true }, { hang: true }); // both owners' sends hang, then 201
    const device = await first.webDevice(browser);
    await first.post(device);
    first.pastDelay();
    // The first gateway claims the push and hangs on the push service (past its lease, as far as the
    // others can tell: a paused VM, a clock jump).
    const firstRound = first.t.gateway.pushOnce();
    await service.untilReceived(1);
    const lease = pushClaimLeaseMs(10_000); // TIDINGS_WEB_PUSH_TIMEOUT's default
    const takenOverAt = first.clock.now.getTime() + lease + 1000;
    const second = await setUp({ dataDir: first.t.dataDir, clock: { now: new Date(takenOverAt) } });
    const secondRound = second.t.gateway.pushOnce();
    await service.untilReceived(2);
    // The first gateway stops: its send is cut off, and it releases the claim it thinks is still its own.
    await first.t.close();
    expect(await firstRound).toMatchObject({ claimed: 1, pushed: 0 });
    // Within the second owner's lease nobody claims it again: it is being sent.
    const third = await setUp({ dataDir: first.t.dataDir, clock: { now: new Date(takenOverAt + 60_000) } });
    expect(await third.t.gateway.pushOnce()).toMatchObject({ claimed: 0 });
    await second.t.close();
    expect(await secondRound).toMatchObject({ claimed: 1, pushed: 0 });
    // Released by its owner, it is due again, and pushed once.
    expect(await third.t.gateway.pushOnce()).toMatchObject({ claimed: 1, pushed: 1 });
    expect(service.received.filter((push) => push.status === 201)).toHaveLength(1);
    expect(service.problems).toEqual([]);
  });

  it('connects only to public addresses: a name that resolves to loopback is refused, without a connection', async () => {
    const connections: Socket[] = [];
    const listener = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => listener.close(() => resolve())));
    const { port } = listener.address() as AddressInfo;
    const service = await startPushService();
    const s = await setUp({ env: { TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'off' } });
    const browser = service.browser();
    const internal = { ...browser.subscription, endpoint: `https://localhost:${port}/push/${browser.id}` };
    const created = await graphql(
      s.t.url,
      CREATE_WEB_DEVICE,
      { input: { platform: 'WEB', deviceLabel: 'browser', pushSubscription: internal } },
      s.userToken,
    );
    const device = dataOf(created).createDeviceSubscription.id as string;
    await s.post(device);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ claimed: 1, pushed: 0, failed: 1 });
    expect(connections).toHaveLength(0);
  });

  // Several processes share a store on PostgreSQL (README "Several processes"); SQLite has one writer.
  it.runIf(testStore === 'postgres')('two gateways on one store push each change exactly once', async () => {
    const service = await startPushService();
    const a = await setUp();
    const b = await setUp({ dataDir: a.t.dataDir, clock: a.clock });
    const browsers = Array.from({ length: 6 }, () => service.browser());
    const devices: string[] = [];
    for (const browser of browsers) devices.push(await a.webDevice(browser));
    for (let i = 0; i < 3; i++) await a.post(devices[0] as string);
    a.pastDelay();
    const [first, second] = await Promise.all([a.t.gateway.pushOnce(), b.t.gateway.pushOnce()]);
    expect((first?.claimed ?? 0) + (second?.claimed ?? 0)).toBe(18);
    expect(service.received).toHaveLength(18);
    const pairs = new Set(service.received.map((push) => `${push.browser} ${push.payload.notification.id}`));
    expect(pairs.size).toBe(18);
    expect(service.problems).toEqual([]);
  });

  it('never logs an endpoint, nor returns it to anyone', async () => {
    const service = await startPushService();
    const logs = captureLogs('debug');
    const s = await setUp({ logger: logs.logger });
    const gone = service.browser();
    gone.answers.push({ status: 410 });
    const refused = service.browser();
    refused.answers.push({ status: 400 });
    const goneDevice = await s.webDevice(gone);
    const plain = await createDevice(s.t.url, s.userToken, 'WEB');
    const set = await graphql(
      s.t.url,
      SET,
      { input: { deviceSubscriptionId: plain, pushSubscription: refused.subscription } },
      s.userToken,
    );
    expect(JSON.stringify(set)).not.toContain(refused.subscription.endpoint);
    await s.post(goneDevice);
    s.pastDelay();
    expect(await s.t.gateway.pushOnce()).toMatchObject({ gone: 1, failed: 1 });
    const logged = JSON.stringify(logs.lines);
    expect(logs.withMessage('web push subscription gone')).toEqual([
      expect.objectContaining({ origin: service.origin, status: 410 }),
    ]);
    expect(logs.withMessage('web push refused')).toHaveLength(1);
    for (const browser of [gone, refused]) {
      expect(logged).not.toContain(browser.id);
      expect(logged).not.toContain(browser.subscription.keys.auth);
    }
  });
});
