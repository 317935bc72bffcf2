import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_SCOPE } from '../../src/auth/principal.js';
import { createTestClock } from '../support/clock.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

const HOST = 'x.example.com';

// An app service holding a user's delegated token (on-behalf-of) posts to that user, and to nobody else.
describe('createNotification with a delegated user token', () => {
  let t: TestGateway;
  let appX: TestApp;
  let appY: TestApp;
  let alice: string;
  let aliceDelegated: string;
  let aliceDevice: string;
  let aliceDeviceInY: string;
  let bobDevice: string;

  beforeAll(async () => {
    t = await startGateway();
    appX = await t.registerApp(HOST);
    appY = await t.registerApp('y.example.com');
    alice = await t.userToken('alice', appX.app);
    aliceDelegated = await t.userToken('alice', appX.app, 600, [NOTIFICATIONS_SCOPE]);
    aliceDevice = await createDevice(t.url, alice, 'WEB');
    aliceDeviceInY = await createDevice(t.url, await t.userToken('alice', appY.app), 'WEB');
    bobDevice = await createDevice(t.url, await t.userToken('bob', appX.app), 'WEB');
  });

  /** The log heads of the feeds behind these UNSIDs, read from the store. */
  async function heads(...unsids: string[]) {
    const store = t.gateway.services.store;
    return Promise.all(
      unsids.map(async (unsid) => {
        const device = await store.findDeviceSubscription(unsid);
        return (await store.feedHead(device?.feedId as string)).offset;
      }),
    );
  }

  it("posts to the token's own user without a UNSID, and every device of that user receives it", async () => {
    const feed = openFeed(t.wsUrl, alice, {
      deviceSubscriptionId: aliceDevice,
      after: await feedCursor(t.url, alice),
    });
    const [, bobBefore] = await heads(aliceDevice, bobDevice);
    const posted = await postNotification(
      t.url,
      aliceDelegated,
      notificationInput(aliceDevice, HOST, { deviceSubscriptionId: null }),
    );
    const { notification, outcome } = dataOf(posted).createNotification;
    expect(outcome).toBe('CREATED');
    expect((await feed.next()).notification?.id).toBe(notification.id);
    const [, bobAfter] = await heads(aliceDevice, bobDevice);
    expect(bobAfter).toBe(bobBefore);
  });

  it("takes a missing targetHostName as the token's app, and refuses another app's", async () => {
    const posted = await postNotification(
      t.url,
      aliceDelegated,
      notificationInput(aliceDevice, HOST, { deviceSubscriptionId: null, targetHostName: undefined }),
    );
    expect(dataOf(posted).createNotification.notification.targetHostName).toBe(HOST);
    const before = await heads(aliceDevice);
    const foreign = await postNotification(
      t.url,
      aliceDelegated,
      notificationInput(aliceDevice, 'y.example.com', { deviceSubscriptionId: null }),
    );
    expect(errorCodes(foreign)).toEqual(['BAD_USER_INPUT']);
    expect(foreign.errors?.[0]?.extensions?.field).toBe('targetHostName');
    expect(await heads(aliceDevice)).toEqual(before);
  });

  it('accepts a UNSID of that same user', async () => {
    const posted = await postNotification(t.url, aliceDelegated, notificationInput(aliceDevice, HOST));
    expect(dataOf(posted).createNotification.outcome).toBe('CREATED');
  });

  it.each([
    ["another user's UNSID in the same app", () => bobDevice],
    ["the same user's UNSID in another app", () => aliceDeviceInY],
    ['an unknown UNSID', () => 'no-such-unsid'],
  ])('refuses %s with NOT_FOUND and changes nothing', async (_name, unsid) => {
    const before = await heads(aliceDevice, bobDevice, aliceDeviceInY);
    const posted = await postNotification(t.url, aliceDelegated, notificationInput(unsid(), HOST));
    expect(errorCodes(posted)).toEqual(['NOT_FOUND']);
    expect(await heads(aliceDevice, bobDevice, aliceDeviceInY)).toEqual(before);
  });

  it('refuses a user token without the notifications scope, and a user with no feed in the app', async () => {
    const before = await heads(aliceDevice);
    const plain = await postNotification(
      t.url,
      alice,
      notificationInput(aliceDevice, HOST, { deviceSubscriptionId: null }),
    );
    expect(errorCodes(plain)).toEqual(['FORBIDDEN']);
    const carol = await t.userToken('carol', appX.app, 600, [NOTIFICATIONS_SCOPE]);
    const noFeed = await postNotification(
      t.url,
      carol,
      notificationInput(aliceDevice, HOST, { deviceSubscriptionId: null }),
    );
    expect(errorCodes(noFeed)).toEqual(['NOT_FOUND']);
    expect(await heads(aliceDevice)).toEqual(before);
  });

  it('still needs a UNSID with an app token', async () => {
    const posted = await postNotification(
      t.url,
      await appX.token(),
      notificationInput(aliceDevice, HOST, { deviceSubscriptionId: null }),
    );
    expect(errorCodes(posted)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('delegated posts and the app rate limit', () => {
  it("charge the app's own budget: past the burst, its app token is refused too", async () => {
    // The budget refills by the gateway's clock, which stands still here: however long the posts take
    // on a loaded machine, nothing comes back between them.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATION_BURST: '3', TIDINGS_APP_MUTATIONS_PER_SECOND: '1' },
      now: clock.now,
    });
    const app = await t.registerApp(HOST);
    const user = await t.userToken('alice', app.app);
    const device = await createDevice(t.url, user, 'WEB');
    const delegated = await t.userToken('alice', app.app, 600, [NOTIFICATIONS_SCOPE]);
    for (let i = 0; i < 3; i += 1) {
      dataOf(await postNotification(t.url, delegated, notificationInput(device, HOST)));
    }
    const refused = await postNotification(t.url, await app.token(), notificationInput(device, HOST));
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
  });
});
