import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FeedOwner } from '../../src/domain/types.js';
import { createTestClock } from '../support/clock.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import {
  CREATE_DEVICE,
  createDevice,
  DEVICE_PAGE,
  type DevicePage,
  listDevices,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { MARK_ALL_READ, NOTIFICATION_DELIVERY } from '../support/state-operations.js';
import { storeSql } from '../support/store-sql.js';

const HOUR = 3600 * 1000;

/** UNSIDs in a comparable order: devices created at the same instant are listed in no particular one. */
const sorted = (ids: readonly string[]) => [...ids].sort();

const create = (t: TestGateway, token: string, input: Record<string, unknown> = {}) =>
  graphql<{ createDeviceSubscription: { id: string } }>(
    t.url,
    CREATE_DEVICE,
    { input: { platform: 'WEB', deviceLabel: 'device', ...input } },
    token,
  );

describe('device subscriptions per user are capped', () => {
  it('refuses a device past TIDINGS_MAX_DEVICES_PER_USER with LIMIT_EXCEEDED and creates nothing', async () => {
    const clock = { now: new Date() };
    const t = await startGateway({ now: () => clock.now, env: { TIDINGS_MAX_DEVICES_PER_USER: '3' } });
    const app = await t.registerApp('cap.example.com');
    const alice = await t.userToken('alice', app.app);
    const kept = [await createDevice(t.url, alice, 'WEB'), await createDevice(t.url, alice, 'IOS')];
    const expiring = dataOf(
      await create(t, alice, { expirationDateTime: new Date(clock.now.getTime() + HOUR).toISOString() }),
    ).createDeviceSubscription.id;

    const refused = await create(t, alice, { deviceLabel: 'one too many' });
    expect(errorCodes(refused)).toEqual(['LIMIT_EXCEEDED']);
    expect(refused.data).toBeNull();
    expect(sorted((await listDevices(t.url, alice)).map((device) => device.id))).toEqual(
      sorted([...kept, expiring]),
    );

    // Another user of the app, and the same user in another app, have caps of their own.
    expect(errorCodes(await create(t, await t.userToken('bob', app.app)))).toEqual([]);
    const other = await t.registerApp('other-cap.example.com');
    expect(errorCodes(await create(t, await t.userToken('alice', other.app)))).toEqual([]);

    // An expired device no longer counts (nor is listed), and a deleted one frees its place.
    clock.now = new Date(clock.now.getTime() + 2 * HOUR);
    const replacing = dataOf(await create(t, alice)).createDeviceSubscription.id;
    expect(errorCodes(await create(t, alice))).toEqual(['LIMIT_EXCEEDED']);
    expect(sorted((await listDevices(t.url, alice)).map((device) => device.id))).toEqual(
      sorted([...kept, replacing]),
    );
    dataOf(
      await graphql(
        t.url,
        'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }',
        { id: kept[0] },
        alice,
      ),
    );
    expect(errorCodes(await create(t, alice))).toEqual([]);
  });

  /**
   * A gateway on a clock of the test's, retention 1 h and no sweep timer, with a device of alice's that
   * expires a minute from the start.
   */
  async function withShortLivedDevice(host: string) {
    const clock = { now: new Date() };
    const t = await startGateway({
      now: () => clock.now,
      env: { TIDINGS_SWEEP_INTERVAL_MS: '0', TIDINGS_LOG_RETENTION: '1h' },
    });
    const app = await t.registerApp(host);
    const alice = await t.userToken('alice', app.app);
    const shortLived = dataOf(
      await create(t, alice, { expirationDateTime: new Date(clock.now.getTime() + 60_000).toISOString() }),
    ).createDeviceSubscription.id;
    return { clock, t, alice, store: t.gateway.services.store, shortLived };
  }

  it('purges device subscriptions expired longer than the retention, as it does tombstones', async () => {
    const { clock, t, alice, store, shortLived } = await withShortLivedDevice('purge.example.com');
    const lasting = await createDevice(t.url, alice, 'WEB');
    clock.now = new Date(clock.now.getTime() + HOUR / 2); // expired, not yet for the retention
    await t.gateway.sweepOnce();
    expect(await store.findDeviceSubscription(shortLived)).not.toBeNull();
    clock.now = new Date(clock.now.getTime() + HOUR);
    expect((await t.gateway.sweepOnce()).purged).toBeGreaterThanOrEqual(1);
    expect(await store.findDeviceSubscription(shortLived)).toBeNull();
    expect(await store.findDeviceSubscription(lasting)).not.toBeNull();
  });

  it("purges an expired device's delivery marks a batch at a time before the device itself", async () => {
    const { clock, t, store, shortLived: device } = await withShortLivedDevice('purge-marks.example.com');
    // Five stretches it received while it lived (as the delivery recorder writes them), and one that a
    // live feed which outlived the device's expiry marked 90 minutes later.
    const late = new Date(clock.now.getTime() + 1.5 * HOUR);
    await store.recordDeliveryMarks(
      Array.from({ length: 6 }, (_, i) => ({
        deviceSubscriptionId: device,
        fromOffset: i,
        offset: i + 1,
        at: i < 5 ? clock.now : late,
      })),
      'DELIVERED',
    );
    const marksLeft = async () =>
      Number(
        (
          await storeSql<{ n: number | string }>(
            t,
            `SELECT count(*) AS n FROM "DeliveryMark" WHERE "deviceSubscriptionId" = '${device}'`,
          )
        )[0]?.n,
      );
    expect(await marksLeft()).toBe(6);

    clock.now = new Date(clock.now.getTime() + 2 * HOUR);
    const cutoff = new Date(clock.now.getTime() - HOUR);
    // Two rows of each kind a call: never the device's six marks at once through its cascade, and the
    // late one too, although it is younger than the cutoff (its device is not).
    const left: number[] = [];
    for (let call = 0; call < 5 && (await store.findDeviceSubscription(device)) !== null; call++) {
      await store.purge(clock.now, cutoff, 2);
      left.push(await marksLeft());
    }
    expect(left).toEqual([4, 2, 0]);
    expect(await store.findDeviceSubscription(device)).toBeNull();
  });

  it('lets no two concurrent creates both pass the cap', async () => {
    const t = await startGateway({ env: { TIDINGS_MAX_DEVICES_PER_USER: '5' } });
    const app = await t.registerApp('race.example.com');
    const alice = await t.userToken('alice', app.app);
    // The user's first devices: the feed itself is created by whichever create gets there first.
    const answers = await Promise.all(Array.from({ length: 20 }, () => create(t, alice)));
    const codes = answers.map((answer) => errorCodes(answer)[0] ?? 'OK');
    expect(codes.filter((code) => code === 'OK')).toHaveLength(5);
    expect(codes.filter((code) => code === 'LIMIT_EXCEEDED')).toHaveLength(15);
    expect(await listDevices(t.url, alice)).toHaveLength(5);
  });
});

describe('per-user rate limit on mutations', () => {
  it('answers 429 with Retry-After past the burst, and does nothing for the refused mutation', async () => {
    // The budget refills by the gateway's clock, which stands still: a slow machine refills nothing.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_USER_MUTATIONS_PER_SECOND: '1', TIDINGS_USER_MUTATION_BURST: '3' },
      now: clock.now,
    });
    const app = await t.registerApp('user-rate.example.com');
    const alice = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, alice, 'WEB');
    expect(errorCodes(await graphql(t.url, MARK_ALL_READ, {}, alice))).toEqual([]);
    expect(errorCodes(await create(t, alice))).toEqual([]);
    const refused = await create(t, alice, { deviceLabel: 'refused' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await listDevices(t.url, alice)).map((device) => device.deviceLabel)).not.toContain('refused');
    expect(errorCodes(await graphql(t.url, MARK_ALL_READ, {}, alice))).toEqual(['RATE_LIMITED']);

    // Queries are not charged; another user, and the app, have budgets of their own.
    expect(await listDevices(t.url, alice)).toHaveLength(2);
    expect(errorCodes(await graphql(t.url, MARK_ALL_READ, {}, await t.userToken('bob', app.app)))).toEqual(
      [],
    );
    expect(
      errorCodes(
        await postNotification(t.url, await app.token(), notificationInput(unsid, 'user-rate.example.com')),
      ),
    ).toEqual([]);
  });
});

/**
 * Creates `count` devices of one user straight in the store (a few at a time), past any cap, half WEB and
 * half ANDROID; returns their UNSIDs.
 */
async function devicesInStore(t: TestGateway, owner: FeedOwner, count: number): Promise<string[]> {
  const store = t.gateway.services.store;
  const ids: string[] = [];
  for (let done = 0; done < count; done += 20) {
    const created = await Promise.all(
      Array.from({ length: Math.min(20, count - done) }, (_, i) =>
        store.createDeviceSubscription({
          id: randomBytes(18).toString('base64url'),
          owner,
          platform: i % 2 === 0 ? 'WEB' : 'ANDROID',
          deviceLabel: `bulk ${done + i}`,
          expirationDateTime: new Date(Date.now() + 24 * HOUR),
          now: new Date(),
          maxDevices: count,
        }),
      ),
    );
    ids.push(...created.map((device) => device.id));
  }
  return ids;
}

describe('device lists work at the cap and beyond', () => {
  it('pages deviceSubscriptions with first/after, oldest first', async () => {
    const clock = { now: new Date() };
    const t = await startGateway({ now: () => clock.now });
    const app = await t.registerApp('pages.example.com');
    const alice = await t.userToken('alice', app.app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now = new Date(clock.now.getTime() + 1000);
      ids.push(await createDevice(t.url, alice, 'WEB', `device ${i}`));
    }
    const page = async (variables: Record<string, unknown>) =>
      dataOf(await graphql<{ deviceSubscriptions: DevicePage }>(t.url, DEVICE_PAGE, variables, alice))
        .deviceSubscriptions;
    const first = await page({ first: 2 });
    expect(first.edges.map((edge) => edge.node.id)).toEqual(ids.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.id)).toEqual(ids.slice(2, 4));
    const last = await page({ first: 2, after: second.pageInfo.endCursor });
    expect(last.edges.map((edge) => edge.node.id)).toEqual(ids.slice(4));
    expect(last.pageInfo.hasNextPage).toBe(false);
    for (const first of [0, 101]) {
      expect(errorCodes(await graphql(t.url, DEVICE_PAGE, { first }, alice))).toEqual(['BAD_USER_INPUT']);
    }
    expect(errorCodes(await graphql(t.url, DEVICE_PAGE, { after: 'bm90IGEgY3Vyc29y' }, alice))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('lists and reports deliveries to more devices than SQLite takes query parameters (999)', {
    timeout: 300_000,
  }, async () => {
    const t = await startGateway({ env: { TIDINGS_SWEEP_INTERVAL_MS: '0' } });
    const app = await t.registerApp('many.example.com');
    const alice = await t.userToken('alice', app.app);
    // Made before any HTTP request, so that no pooled connection sits idle while they are written.
    const owner = { appId: app.app.id, issuer: t.gateway.issuer.issuer, subject: 'alice' };
    const [unsid] = await devicesInStore(t, owner, 1100);

    const appToken = await app.token();
    const posted = dataOf(
      await postNotification(
        t.url,
        appToken,
        notificationInput(unsid as string, 'many.example.com', { targetPolicy: { platformTypes: ['WEB'] } }),
      ),
    );
    const delivery = dataOf(
      await graphql<{
        notificationDelivery: { devices: Array<{ deviceSubscriptionId: string; targeted: boolean }> };
      }>(
        t.url,
        NOTIFICATION_DELIVERY,
        { notification: { id: posted.createNotification.notification.id } },
        appToken,
      ),
    ).notificationDelivery.devices;
    expect(delivery).toHaveLength(1100);
    expect(delivery.filter((device) => device.targeted)).toHaveLength(550);

    const listed = await listDevices(t.url, alice);
    expect(listed).toHaveLength(1100);
    expect(new Set(listed.map((device) => device.id))).toEqual(
      new Set(delivery.map((device) => device.deviceSubscriptionId)),
    );
  });
});
