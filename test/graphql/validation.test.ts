import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, FEED, notificationInput, postNotification } from '../support/operations.js';

const DAY = 24 * 3600 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

// Each invalid field: BAD_USER_INPUT naming the field (when the gateway, not GraphQL, refused it), and
// nothing stored.
const badInputs: Array<[string, Record<string, unknown>, string | null]> = [
  ['no payload content', { payload: {} }, 'payload'],
  [
    'visual content without title',
    { payload: { visualContent: { title: '   ' } } },
    'payload.visualContent.title',
  ],
  ['visual content with null title', { payload: { visualContent: { title: null } } }, null],
  [
    'title too long',
    { payload: { visualContent: { title: 'x'.repeat(201) } } },
    'payload.visualContent.title',
  ],
  [
    'body too long',
    { payload: { visualContent: { title: 't', body: 'x'.repeat(1001) } } },
    'payload.visualContent.body',
  ],
  // Characters, not UTF-16 units: 201 emoji (402 units) are one too many, 200 (400 units) are not.
  [
    'title of 201 characters outside the BMP',
    { payload: { visualContent: { title: '\u{1F600}'.repeat(201) } } },
    'payload.visualContent.title',
  ],
  ['empty raw content', { payload: { rawContent: '' } }, 'payload.rawContent'],
  ['raw content over 4 KB', { payload: { rawContent: 'é'.repeat(2049) } }, 'payload.rawContent'],
  ['expiration in the past', { expirationDateTime: inDays(-1) }, 'expirationDateTime'],
  ['expiration now', { expirationDateTime: 'NOW' }, 'expirationDateTime'],
  ['expiration beyond 30 days', { expirationDateTime: inDays(31) }, 'expirationDateTime'],
  ['expiration not a date', { expirationDateTime: 'tomorrow' }, null],
  ['expiration without zone', { expirationDateTime: '2030-01-01T00:00:00' }, null],
  ['unknown priority', { priority: 'URGENT' }, null],
  ['unknown platform', { targetPolicy: { platformTypes: ['PALM'] } }, null],
  ['empty appNotificationId', { appNotificationId: '' }, 'appNotificationId'],
  ['appNotificationId too long', { appNotificationId: 'x'.repeat(201) }, 'appNotificationId'],
  ['empty group name', { groupName: ' ' }, 'groupName'],
  ['display time to live 0', { displayTimeToLive: 0 }, 'displayTimeToLive'],
  ['display time to live over a day', { displayTimeToLive: 86_401 }, 'displayTimeToLive'],
  ['another host name', { targetHostName: 'evil.example.com' }, 'targetHostName'],
  [
    'fallback without HIGH priority',
    {
      payload: { rawContent: 'r' },
      fallbackPolicy: {
        endpointFallback: {
          platformTypes: ['WEB'],
          fallbackDelayInSeconds: 60,
          visualContent: { title: 't' },
        },
      },
    },
    'fallbackPolicy',
  ],
  [
    'fallback delay under 60 s',
    {
      priority: 'HIGH',
      payload: { rawContent: 'r' },
      fallbackPolicy: {
        endpointFallback: {
          platformTypes: ['WEB'],
          fallbackDelayInSeconds: 59,
          visualContent: { title: 't' },
        },
      },
    },
    'fallbackPolicy.endpointFallback.fallbackDelayInSeconds',
  ],
  [
    'fallback delay over 600 s',
    {
      priority: 'HIGH',
      payload: { rawContent: 'r' },
      fallbackPolicy: {
        endpointFallback: {
          platformTypes: ['WEB'],
          fallbackDelayInSeconds: 601,
          visualContent: { title: 't' },
        },
      },
    },
    'fallbackPolicy.endpointFallback.fallbackDelayInSeconds',
  ],
  [
    'fallback without platforms',
    {
      priority: 'HIGH',
      payload: { rawContent: 'r' },
      fallbackPolicy: {
        endpointFallback: { platformTypes: [], fallbackDelayInSeconds: 60, visualContent: { title: 't' } },
      },
    },
    'fallbackPolicy.endpointFallback.platformTypes',
  ],
];

describe('createNotification input validation', () => {
  let t: TestGateway;
  let app: TestApp;
  let appToken: string;
  let unsid: string;
  let feedId: string;

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('validate.example.com');
    appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    unsid = await createDevice(t.url, user, 'WEB');
    feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
  });

  it.each(badInputs)('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, overrides, field) => {
    const input = notificationInput(unsid, app.app.targetHostName, overrides);
    if (input.expirationDateTime === 'NOW') input.expirationDateTime = new Date().toISOString();
    const response = await postNotification(t.url, appToken, input);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    if (field !== null) expect(response.errors?.[0]?.extensions?.field).toBe(field);
    const store = t.gateway.services.store;
    expect(await store.feedHead(feedId)).toMatchObject({ offset: 0 });
    expect(
      (
        await store.listNotifications(feedId, {
          first: 10,
          beforePosition: null,
          readState: null,
          groupName: null,
        })
      ).notifications,
    ).toEqual([]);
  });

  it('accepts the edges of every range and applies the defaults', async () => {
    const before = Date.now();
    const response = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, 'VALIDATE.example.com', {
        appNotificationId: 'x'.repeat(200),
        payload: {
          visualContent: { title: '\u{1F600}'.repeat(200), body: '' },
          rawContent: 'r'.repeat(4096),
        },
        displayTimeToLive: 86_400,
        targetPolicy: { platformTypes: ['WEB', 'WEB'] },
        priority: 'HIGH',
        fallbackPolicy: {
          endpointFallback: {
            platformTypes: ['IOS'],
            fallbackDelayInSeconds: 600,
            visualContent: { title: 'f' },
          },
        },
      }),
    );
    expect(response.errors).toBeUndefined();
    const notification = response.data?.createNotification.notification as Record<string, any>;
    expect(notification.targetHostName).toBe('validate.example.com');
    expect(notification.targetPolicy).toEqual({ platformTypes: ['WEB'] });
    expect(notification.groupName).toBeNull();
    const expires = Date.parse(notification.expirationDateTime);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
    expect(notification.fallbackPolicy.endpointFallback.fallbackDelayInSeconds).toBe(600);
  });

  it.each([
    ['left out', { targetHostName: undefined }],
    ['null', { targetHostName: null }],
  ])("takes targetHostName %s as the app token's own host name", async (_name, overrides) => {
    const input = notificationInput(unsid, app.app.targetHostName, overrides);
    expect(input.targetHostName ?? null).toBeNull();
    const response = await postNotification(t.url, appToken, input);
    expect(response.errors).toBeUndefined();
    expect(response.data?.createNotification.notification.targetHostName).toBe('validate.example.com');
  });

  it('refuses a bad page size or page cursor', async () => {
    const user = await t.userToken('alice', app.app);
    expect(errorCodes(await graphql(t.url, FEED, { first: 0 }, user))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(t.url, FEED, { first: 101 }, user))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(t.url, FEED, { after: 'bm9wZQ' }, user))).toEqual(['BAD_USER_INPUT']);
  });
});
