import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  disableWebPush,
  enableWebPush,
  type PushRegistration,
  type PushSubscriptionLike,
  setDevicePushSubscription,
  TidingsClientError,
} from '../../src/client/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

// The client library's Web Push, in Node against a real gateway. No browser here can subscribe for real
// (pushManager.subscribe needs the browser's push service, out of reach of this closed network): the
// registration is a stand-in with a PushManager's shape, handing out subscriptions with real P-256 keys,
// as PushSubscription.toJSON() gives them. Everything of the gateway is real.

const HOST = 'web-push-client.example.com';

/** A service worker registration's push side, as a browser that has granted notifications has it. */
function registrationStandIn(answer: 'subscribe' | 'refuse' | 'never' = 'subscribe') {
  let current: (PushSubscriptionLike & { endpoint: string }) | null = null;
  const subscribedWith: Uint8Array[] = [];
  const unsubscribed: string[] = [];
  /** A browser's push subscription made with `key`, with real P-256 keys, as toJSON() gives it. */
  function subscription(key: Uint8Array) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const endpoint = `https://push.example.net/send/${randomBytes(16).toString('hex')}`;
    const json = {
      endpoint,
      expirationTime: null,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
      },
    };
    const made = {
      endpoint,
      options: { applicationServerKey: Uint8Array.from(key).buffer },
      toJSON: () => json,
      async unsubscribe() {
        unsubscribed.push(endpoint);
        if (current === made) current = null;
        return true;
      },
    };
    current = made;
    return made;
  }
  const registration: PushRegistration = {
    pushManager: {
      getSubscription: async () => current,
      async subscribe({ userVisibleOnly, applicationServerKey }) {
        if (!userVisibleOnly) throw new Error('Chromium accepts userVisibleOnly: true only.');
        // Headless Chromium here, without Google's push service, never answers.
        if (answer === 'never') return new Promise<never>(() => {});
        if (answer === 'refuse') {
          throw Object.assign(new Error('Registration failed - permission denied'), {
            name: 'NotAllowedError',
          });
        }
        subscribedWith.push(applicationServerKey);
        return subscription(applicationServerKey);
      },
    },
  };
  return {
    registration,
    subscribedWith,
    unsubscribed,
    current: () => current,
    /** The browser replaces the subscription (same key, new endpoint and keys), as on pushsubscriptionchange. */
    rotate: (key: Uint8Array) => subscription(key),
  };
}

const storedEndpoint = async (t: TestGateway, device: string) =>
  (
    await storeSql<{ pushEndpoint: string | null }>(
      t,
      `SELECT "pushEndpoint" FROM "DeviceSubscription" WHERE "id" = '${device}'`,
    )
  )[0]?.pushEndpoint;

async function setUp(env: Record<string, string> = {}) {
  const t = await startGateway({ env });
  const app = await t.registerApp(HOST);
  const token = await t.userToken('alice', app.app);
  const device = await createDevice(t.url, token, 'WEB', 'laptop');
  return { t, app, token, device, access: { url: t.url, token: () => token } };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof TidingsClientError ? error.code : `not a client error: ${error}`),
  );

describe('Web Push with the client library', () => {
  it('subscribes with the gateway key, stores the subscription, reuses it, follows a rotation, replaces one the gateway dropped, and turns off', async () => {
    const { t, device, access } = await setUp();
    const browser = registrationStandIn();
    const options = { ...access, registration: browser.registration, deviceSubscriptionId: device };

    const enabled = await enableWebPush(options);
    expect(enabled).toMatchObject({ id: device, platform: 'WEB', webPush: true });
    // Subscribed with the gateway's key, as a browser needs it (bytes, not text).
    const key = dataOf(
      await graphql<{ webPush: { applicationServerKey: string } }>(
        t.url,
        '{ webPush { applicationServerKey } }',
        {},
        await access.token(),
      ),
    ).webPush.applicationServerKey;
    expect(browser.subscribedWith.map((bytes) => Buffer.from(bytes).toString('base64url'))).toEqual([key]);
    expect(await storedEndpoint(t, device)).toBe(browser.current()?.endpoint);

    // The check on start: same key, so the browser's subscription is kept and stored again.
    await enableWebPush(options);
    expect(browser.subscribedWith).toHaveLength(1);

    // The browser rotated it (pushsubscriptionchange, or found on start): the new one replaces it.
    browser.rotate(browser.subscribedWith[0] as Uint8Array);
    await enableWebPush(options);
    expect(browser.subscribedWith).toHaveLength(1);
    expect(await storedEndpoint(t, device)).toBe(browser.current()?.endpoint);

    // The gateway dropped it (its push service answered 410: the subscription is dead; here the same
    // mutation the gateway's drop amounts to): the next start subscribes anew instead of storing it again.
    const dead = browser.current()?.endpoint;
    await setDevicePushSubscription(access, device, null);
    await enableWebPush(options);
    expect(browser.subscribedWith).toHaveLength(2);
    expect(browser.unsubscribed).toEqual([dead]);
    expect(await storedEndpoint(t, device)).toBe(browser.current()?.endpoint);
    expect(browser.current()?.endpoint).not.toBe(dead);

    const last = browser.current()?.endpoint;
    expect(await disableWebPush(options)).toMatchObject({ id: device, webPush: false });
    expect(await storedEndpoint(t, device)).toBeNull();
    expect(browser.unsubscribed).toEqual([dead, last]);
    expect(browser.current()).toBeNull();
  });

  it('drops a subscription made with another key (the gateway changed its key) and subscribes anew', async () => {
    const { t, device, access } = await setUp();
    const browser = registrationStandIn();
    browser.rotate(randomBytes(65));
    const old = browser.current()?.endpoint;
    await enableWebPush({ ...access, registration: browser.registration, deviceSubscriptionId: device });
    expect(browser.unsubscribed).toEqual([old]);
    expect(browser.subscribedWith).toHaveLength(1);
    expect(await storedEndpoint(t, device)).toBe(browser.current()?.endpoint);
  });

  it('says why it cannot: Web Push off, no Push API, permission refused, no push service, not a WEB device, not the user’s device', async () => {
    const off = await setUp({ TIDINGS_WEB_PUSH: 'off' });
    const offBrowser = registrationStandIn();
    expect(
      await codeOf(
        enableWebPush({
          ...off.access,
          registration: offBrowser.registration,
          deviceSubscriptionId: off.device,
        }),
      ),
    ).toBe('WEB_PUSH_UNAVAILABLE');
    expect(offBrowser.subscribedWith).toEqual([]);

    const { t, app, device, access, token } = await setUp();
    expect(await codeOf(enableWebPush({ ...access, registration: {}, deviceSubscriptionId: device }))).toBe(
      'WEB_PUSH_UNAVAILABLE',
    );
    expect(
      await codeOf(
        enableWebPush({
          ...access,
          registration: registrationStandIn('refuse').registration,
          deviceSubscriptionId: device,
        }),
      ),
    ).toBe('PERMISSION_DENIED');
    expect(
      await codeOf(
        enableWebPush({
          ...access,
          registration: registrationStandIn('never').registration,
          deviceSubscriptionId: device,
          subscribeTimeoutMs: 200,
        }),
      ),
    ).toBe('PUSH_SERVICE_UNAVAILABLE');
    expect(await storedEndpoint(t, device)).toBeNull();

    const phone = await createDevice(t.url, token, 'ANDROID', 'phone');
    expect(
      await codeOf(
        enableWebPush({
          ...access,
          registration: registrationStandIn().registration,
          deviceSubscriptionId: phone,
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    const bob = await t.userToken('bob', app.app);
    expect(
      await codeOf(
        enableWebPush({
          url: t.url,
          token: () => bob,
          registration: registrationStandIn().registration,
          deviceSubscriptionId: device,
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(await storedEndpoint(t, device)).toBeNull();
  });
});
