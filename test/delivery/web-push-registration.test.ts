import { createECDH, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

// Registering a browser's push subscription on a WEB device: validation, who may, and that the endpoint
// (a secret) is never returned.

const WEB_PUSH = 'query { webPush { applicationServerKey } }';
const CREATE = `mutation ($input: CreateDeviceSubscriptionInput!) {
  createDeviceSubscription(input: $input) { id platform webPush }
}`;
const SET = `mutation ($input: SetDevicePushSubscriptionInput!) {
  setDevicePushSubscription(input: $input) { id webPush }
}`;
const DEVICES = 'query { deviceSubscriptions { edges { node { id webPush } } } }';

/** A subscription as a browser's PushSubscription.toJSON() gives it. */
function browserSubscription(endpoint = `https://push.example.net/send/${randomBytes(16).toString('hex')}`) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    expirationTime: null,
    keys: {
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  };
}

describe('registering a push subscription', () => {
  let t: TestGateway;
  let app: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('push-registration.example.com');
    alice = await t.userToken('alice', app.app);
    bob = await t.userToken('bob', app.app);
  });

  it('serves the VAPID public key: an uncompressed P-256 point', async () => {
    const { webPush } = dataOf(await graphql(t.url, WEB_PUSH, {}, alice));
    const key = Buffer.from(webPush.applicationServerKey, 'base64url');
    expect(key).toHaveLength(65);
    expect(key[0]).toBe(4);
  });

  it('a WEB device takes one at creation and later; null removes it; the endpoint is never returned', async () => {
    const subscription = browserSubscription();
    const created = await graphql(
      t.url,
      CREATE,
      { input: { platform: 'WEB', deviceLabel: 'browser', pushSubscription: subscription } },
      alice,
    );
    const device = dataOf(created).createDeviceSubscription;
    expect(device.webPush).toBe(true);
    expect(JSON.stringify(created)).not.toContain(subscription.endpoint);
    const [row] = await storeSql<{ pushEndpoint: string }>(
      t,
      `SELECT "pushEndpoint" FROM "DeviceSubscription" WHERE "id" = '${device.id}'`,
    );
    expect(row?.pushEndpoint).toBe(subscription.endpoint);

    const plain = await createDevice(t.url, alice, 'WEB');
    const set = await graphql(
      t.url,
      SET,
      { input: { deviceSubscriptionId: plain, pushSubscription: browserSubscription() } },
      alice,
    );
    expect(dataOf(set).setDevicePushSubscription).toEqual({ id: plain, webPush: true });
    const removed = await graphql(
      t.url,
      SET,
      { input: { deviceSubscriptionId: plain, pushSubscription: null } },
      alice,
    );
    expect(dataOf(removed).setDevicePushSubscription.webPush).toBe(false);
    const listed = dataOf(await graphql(t.url, DEVICES, {}, alice)).deviceSubscriptions.edges.map(
      (edge: { node: unknown }) => edge.node,
    );
    expect(listed).toEqual([
      { id: device.id, webPush: true },
      { id: plain, webPush: false },
    ]);
  });

  it('another user cannot set one on a device that is not theirs (NOT_FOUND), nor see it', async () => {
    const device = await createDevice(t.url, alice, 'WEB');
    const subscription = browserSubscription();
    const response = await graphql(
      t.url,
      SET,
      { input: { deviceSubscriptionId: device, pushSubscription: subscription } },
      bob,
    );
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(response)).not.toContain(subscription.endpoint);
    const [row] = await storeSql<{ pushEndpoint: string | null }>(
      t,
      `SELECT "pushEndpoint" FROM "DeviceSubscription" WHERE "id" = '${device}'`,
    );
    expect(row?.pushEndpoint).toBeNull();
  });

  it.each<[string, { endpoint?: string; keys?: { p256dh?: string; auth?: string } }]>([
    ['an http: endpoint', { endpoint: 'http://127.0.0.1:9/push' }],
    ['an endpoint that is no URL', { endpoint: 'not a url' }],
    ['a p256dh of the wrong size', { keys: { p256dh: randomBytes(33).toString('base64url') } }],
    [
      'a p256dh off the curve',
      { keys: { p256dh: Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url') } },
    ],
    ['an auth of the wrong size', { keys: { auth: randomBytes(8).toString('base64url') } }],
    ['an auth that is not base64url', { keys: { auth: '!!!!' } }],
  ])('refuses %s with BAD_USER_INPUT, changing nothing', async (_, change) => {
    const device = await createDevice(t.url, alice, 'WEB');
    const valid = browserSubscription();
    const subscription = { ...valid, ...change, keys: { ...valid.keys, ...(change.keys ?? {}) } };
    const set = await graphql(
      t.url,
      SET,
      { input: { deviceSubscriptionId: device, pushSubscription: subscription } },
      alice,
    );
    expect(errorCodes(set)).toEqual(['BAD_USER_INPUT']);
    const created = await graphql(
      t.url,
      CREATE,
      { input: { platform: 'WEB', deviceLabel: 'bad', pushSubscription: subscription } },
      alice,
    );
    expect(errorCodes(created)).toEqual(['BAD_USER_INPUT']);
    const [row] = await storeSql<{ pushEndpoint: string | null }>(
      t,
      `SELECT "pushEndpoint" FROM "DeviceSubscription" WHERE "id" = '${device}'`,
    );
    expect(row?.pushEndpoint).toBeNull();
  });

  it('refuses a push subscription on a device that is not WEB', async () => {
    const phone = await createDevice(t.url, alice, 'ANDROID');
    const set = await graphql(
      t.url,
      SET,
      { input: { deviceSubscriptionId: phone, pushSubscription: browserSubscription() } },
      alice,
    );
    expect(errorCodes(set)).toEqual(['BAD_USER_INPUT']);
    const created = await graphql(
      t.url,
      CREATE,
      { input: { platform: 'IOS', deviceLabel: 'phone', pushSubscription: browserSubscription() } },
      alice,
    );
    expect(errorCodes(created)).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts http://127.0.0.1 only where TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST is on', async () => {
    const local = await startGateway({ env: { TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on' } });
    const localApp = await local.registerApp('push-local.example.com');
    const token = await local.userToken('alice', localApp.app);
    const device = await createDevice(local.url, token, 'WEB');
    const loopback = browserSubscription('http://127.0.0.1:9/push/abc');
    const set = await graphql(
      local.url,
      SET,
      { input: { deviceSubscriptionId: device, pushSubscription: loopback } },
      token,
    );
    expect(dataOf(set).setDevicePushSubscription.webPush).toBe(true);
    const elsewhere = browserSubscription('http://push.example.net/push/abc');
    const refused = await graphql(
      local.url,
      SET,
      { input: { deviceSubscriptionId: device, pushSubscription: elsewhere } },
      token,
    );
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses an endpoint on an address that is not public: the gateway never posts into its own network', async () => {
    const device = await createDevice(t.url, alice, 'WEB');
    for (const endpoint of [
      'https://10.0.0.5/push/abc',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.1.1:8443/push/abc',
      'https://127.0.0.1:8443/push/abc',
      'https://[::1]/push/abc',
      'https://[fd00::1]/push/abc',
      'https://[::ffff:10.0.0.1]/push/abc',
      'https://0.0.0.0/push/abc',
    ]) {
      const refused = await graphql(
        t.url,
        SET,
        { input: { deviceSubscriptionId: device, pushSubscription: browserSubscription(endpoint) } },
        alice,
      );
      expect(errorCodes(refused), endpoint).toEqual(['BAD_USER_INPUT']);
    }
    // A public address, or a name (checked when it is resolved, at each push), is taken.
    for (const endpoint of ['https://203.0.113.7/push/abc', 'https://fcm.googleapis.com/fcm/send/abc']) {
      const set = await graphql(
        t.url,
        SET,
        { input: { deviceSubscriptionId: device, pushSubscription: browserSubscription(endpoint) } },
        alice,
      );
      expect(dataOf(set).setDevicePushSubscription.webPush, endpoint).toBe(true);
    }
  });

  it('two processes on one store share one VAPID key; with Web Push off, webPush is null', async () => {
    const second = await startGateway({ dataDir: t.dataDir });
    const key = async (g: TestGateway) =>
      dataOf(await graphql(g.url, WEB_PUSH, {}, await g.userToken('alice', app.app))).webPush;
    expect(await key(second)).toEqual(await key(t));
    const off = await startGateway({ dataDir: t.dataDir, env: { TIDINGS_WEB_PUSH: 'off' } });
    expect(await key(off)).toBeNull();
  });
});
