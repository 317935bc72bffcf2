import { once } from 'node:events';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { NOTIFICATIONS_SCOPE } from '../../src/auth/principal.js';
import { createTestClock } from '../support/clock.js';
import { type FeedClient, openFeed } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { captureLogs } from '../support/logs.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { createTestSchema, testPostgresUrl } from '../support/postgres.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

// The example request of Microsoft Graph's "Create and send a notification" (beta), verbatim, tabs and
// all: https://learn.microsoft.com/graph/api/notifications-post?view=graph-rest-beta
// (microsoftgraph/microsoft-graph-docs-contrib, api-reference/beta/api/notifications-post.md). It was
// posted to `POST https://graph.microsoft.com/beta/me/notifications/` with `Content-type: application/json`.
const GRAPH_DOCS_EXAMPLE_BODY = `{
    "targetHostName": "graphnotifications.sample.windows.com",
    "appNotificationId": "testDirectToastNotification",
    "expirationDateTime": "2019-10-30T23:59:00.000Z",
    "payload": {
        "visualContent": {
            "title": "Hello World!",
            "body": "Notifications are Great!"
        }
    },
    "targetPolicy": {
        "platformTypes": [
\t"windows",
\t"ios",
\t"android"
        ]
\t},
    "priority": "High",
    "groupName": "TestGroup",
    "displayTimeToLive": "60"
}`;
// Its expiry was two days after the docs were written: the gateway's clock is set to then.
const GRAPH_DOCS_TIME = new Date('2019-10-28T22:05:36.250Z');

interface GraphPost {
  readonly path?: string;
  readonly method?: string;
  /** Bearer token; null sends no Authorization header. */
  readonly token: string | null;
  /** X-UNS-ID; null sends none. */
  readonly unsid: string | null;
  readonly body?: string | Uint8Array;
  /** Send the body chunked (no Content-Length), as a stream. */
  readonly chunked?: boolean;
  /** Replace the default `content-type: application/json` and add others. */
  readonly headers?: Record<string, string>;
}

interface GraphAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** Sends one request to the Graph route as an app service written against Graph would. */
async function send(origin: string, request: GraphPost): Promise<GraphAnswer> {
  const method = request.method ?? 'POST';
  const response = await fetch(`${origin}${request.path ?? '/v1.0/me/notifications'}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(request.token === null ? {} : { authorization: `Bearer ${request.token}` }),
      ...(request.unsid === null ? {} : { 'x-uns-id': request.unsid }),
      ...request.headers,
    },
    ...(method === 'GET' || method === 'HEAD'
      ? {}
      : request.chunked
        ? { body: streamOf(request.body ?? '{}'), duplex: 'half' }
        : { body: request.body ?? '{}' }),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A Graph notification body for `host`; `overrides` replace top-level fields. */
const graphBody = (host: string, overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({
    targetHostName: host,
    appNotificationId: `g-${Math.random().toString(36).slice(2)}`,
    payload: { visualContent: { title: 'Hello', body: 'World' } },
    ...overrides,
  });

/**
 * Expects a Graph-shaped error: `{ error: { code, message, innerError: { code, date, field? } } }`, with
 * Graph's `code` and our stable one inside.
 */
function expectGraphError(
  answer: GraphAnswer,
  status: number,
  graphCode: string,
  code: string,
  field?: string,
): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: {
      error: {
        code: graphCode,
        message: expect.any(String),
        innerError: {
          code,
          ...(field === undefined ? {} : { field }),
          date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        },
      },
    },
  });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
}

/** The log heads of the feeds behind these UNSIDs, read from the store. */
async function heads(t: TestGateway, ...unsids: string[]): Promise<number[]> {
  const store = t.gateway.services.store;
  return Promise.all(
    unsids.map(async (unsid) => {
      const device = await store.findDeviceSubscription(unsid);
      return (await store.feedHead(device?.feedId as string)).offset;
    }),
  );
}

describe("Graph's documented example request", () => {
  it('posted as-is, is created (201) and reaches the targeted devices over graphql-ws, and no other', async () => {
    const t = await startGateway({ now: () => GRAPH_DOCS_TIME });
    const host = 'graphnotifications.sample.windows.com';
    const app = await t.registerApp(host);
    const user = await t.userToken('graphnotify@contoso.com', app.app);
    const windows = await createDevice(t.url, user, 'WINDOWS');
    const web = await createDevice(t.url, user, 'WEB');
    const after = await feedCursor(t.url, user);
    const windowsFeed = openFeed(t.wsUrl, user, { deviceSubscriptionId: windows, after });
    const webFeed = openFeed(t.wsUrl, user, { deviceSubscriptionId: web, after });

    // As in the docs: /beta, trailing slash; the UNSID of any of the user's devices names the user.
    const created = await send(t.origin, {
      path: '/beta/me/notifications/',
      token: await app.token(),
      unsid: web,
      body: GRAPH_DOCS_EXAMPLE_BODY,
    });

    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/beta/me/notifications/${encodeURIComponent(id)}`);
    expect(created.body).toEqual({
      id: expect.any(String),
      appNotificationId: 'testDirectToastNotification',
      targetHostName: host,
      groupName: 'TestGroup',
      targetPolicy: { platformTypes: ['windows', 'ios', 'android'] },
      payload: {
        visualContent: { title: 'Hello World!', body: 'Notifications are Great!' },
        rawContent: null,
      },
      displayTimeToLive: 60,
      expirationDateTime: '2019-10-30T23:59:00.000Z',
      priority: 'High',
      fallbackPolicy: null,
    });
    expect(await windowsFeed.next()).toMatchObject({
      kind: 'CREATED',
      notification: {
        id,
        appNotificationId: 'testDirectToastNotification',
        priority: 'HIGH',
        groupName: 'TestGroup',
        targetPolicy: { platformTypes: ['WINDOWS', 'IOS', 'ANDROID'] },
        payload: { visualContent: { title: 'Hello World!', body: 'Notifications are Great!' } },
      },
    });
    // The web device is not targeted: the next thing it gets is a later notification for the web.
    const marker = await send(t.origin, {
      token: await app.token(),
      unsid: web,
      body: graphBody(host, { appNotificationId: 'for-the-web', targetPolicy: { platformTypes: ['web'] } }),
    });
    expect(marker.status).toBe(201);
    expect((await webFeed.next()).notification?.appNotificationId).toBe('for-the-web');
    const stored = await t.gateway.services.store.findNotificationById(id);
    expect(stored).toMatchObject({ displayTimeToLive: 60, priority: 'HIGH', groupName: 'TestGroup' });
  });
});

describe('POST /v1.0/me/notifications', () => {
  const HOST = 'rest.example.com';
  let t: TestGateway;
  let app: TestApp;
  let otherApp: TestApp;
  let appToken: string;
  let alice: string;
  let aliceIos: string;
  let otherAppsUnsid: string;
  let iosFeed: FeedClient;

  beforeAll(async () => {
    t = await startGateway({ env: { TIDINGS_MAX_BODY_BYTES: '4096' } });
    app = await t.registerApp(HOST);
    otherApp = await t.registerApp('other.example.com');
    appToken = await app.token();
    alice = await t.userToken('alice', app.app);
    aliceIos = await createDevice(t.url, alice, 'IOS');
    otherAppsUnsid = await createDevice(t.url, await t.userToken('alice', otherApp.app), 'IOS');
    iosFeed = openFeed(t.wsUrl, alice, {
      deviceSubscriptionId: aliceIos,
      after: await feedCursor(t.url, alice),
    });
  });

  it.each([
    ['/v1.0/me/notifications'],
    ['/v1.0/me/notifications/'],
    ['/beta/me/notifications'],
    ['/beta/me/notifications/'],
  ])('answers on %s, with a Location under the same prefix', async (path) => {
    const created = await send(t.origin, { path, token: appToken, unsid: aliceIos, body: graphBody(HOST) });
    expect(created.status).toBe(201);
    const prefix = path.startsWith('/beta') ? '/beta' : '/v1.0';
    expect(created.headers.get('location')).toBe(`${prefix}/me/notifications/${created.body.id}`);
    expect((await iosFeed.next()).notification?.id).toBe(created.body.id);
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
  ])('takes a %s-encoded body, as Graph did', async (encoding, compress) => {
    const created = await send(t.origin, {
      token: appToken,
      unsid: aliceIos,
      body: compress(graphBody(HOST, { appNotificationId: `zipped-${encoding}` })),
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    });
    expect(created.status).toBe(201);
    expect(created.body.appNotificationId).toBe(`zipped-${encoding}`);
    expect((await iosFeed.next()).notification?.id).toBe(created.body.id);
  });

  it('replaces a notification posted again with the same appNotificationId: 201 again, same id', async () => {
    const first = await send(t.origin, {
      token: appToken,
      unsid: aliceIos,
      body: graphBody(HOST, { appNotificationId: 'order-42' }),
    });
    const again = await send(t.origin, {
      token: appToken,
      unsid: aliceIos,
      body: graphBody(HOST, {
        appNotificationId: 'order-42',
        payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
      }),
    });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.payload.visualContent.title).toBe('Shipped');
    expect(await iosFeed.next()).toMatchObject({ kind: 'CREATED', notification: { id: first.body.id } });
    expect(await iosFeed.next()).toMatchObject({
      kind: 'REPLACED',
      notification: { id: first.body.id, payload: { visualContent: { title: 'Shipped' } } },
    });
  });

  it("accepts Graph's spellings in any case, numbers as numbers, fallbackPolicy and OData annotations", async () => {
    const created = await send(t.origin, {
      token: appToken,
      unsid: aliceIos,
      body: graphBody(HOST, {
        '@odata.type': '#microsoft.graph.notification',
        payload: { rawContent: '{"order":42}' },
        targetPolicy: { platformTypes: ['iOS', 'WebPush', 'ANDROID'] },
        priority: 'high',
        displayTimeToLive: 30,
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        fallbackPolicy: {
          endpointFallback: {
            platformTypes: ['iOS'],
            fallbackDelayInSeconds: '120',
            visualContent: { title: 'Order 42', body: 'Open the app' },
          },
        },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      targetPolicy: { platformTypes: ['ios', 'web', 'android'] },
      payload: { visualContent: null, rawContent: '{"order":42}' },
      priority: 'High',
      displayTimeToLive: 30,
      fallbackPolicy: {
        endpointFallback: {
          platformTypes: ['ios'],
          fallbackDelayInSeconds: 120,
          visualContent: { title: 'Order 42', body: 'Open the app' },
        },
      },
    });
    expect(await iosFeed.next()).toMatchObject({ notification: { id: created.body.id, priority: 'HIGH' } });
  });

  it("posts with the user's delegated token to that user's own UNSID, as Graph's delegated permission did", async () => {
    const delegated = await t.userToken('alice', app.app, 600, [NOTIFICATIONS_SCOPE]);
    const created = await send(t.origin, { token: delegated, unsid: aliceIos, body: graphBody(HOST) });
    expect(created.status).toBe(201);
    expect((await iosFeed.next()).notification?.id).toBe(created.body.id);
  });

  interface Refusal {
    readonly name: string;
    readonly request: () => Promise<GraphPost>;
    readonly status: number;
    readonly graphCode: string;
    readonly code: string;
    /** The field innerError names, where one is at fault. */
    readonly field?: string;
    readonly headers?: Record<string, string>;
  }
  const valid = async (overrides: Partial<GraphPost> = {}): Promise<GraphPost> => ({
    token: appToken,
    unsid: aliceIos,
    body: graphBody(HOST),
    ...overrides,
  });
  const refusals: Refusal[] = [
    {
      name: 'no token',
      request: () => valid({ token: null }),
      status: 401,
      graphCode: 'unauthenticated',
      code: 'UNAUTHENTICATED',
      headers: { 'www-authenticate': 'Bearer' },
    },
    {
      name: 'a forged token',
      request: async () => valid({ token: `${appToken.slice(0, -4)}AAAA` }),
      status: 401,
      graphCode: 'unauthenticated',
      code: 'UNAUTHENTICATED',
      headers: { 'www-authenticate': 'Bearer' },
    },
    {
      name: "a user's own token (not delegated)",
      request: () => valid({ token: alice }),
      status: 403,
      graphCode: 'accessDenied',
      code: 'FORBIDDEN',
    },
    {
      name: 'no X-UNS-ID',
      request: () => valid({ unsid: null }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'an unknown UNSID',
      request: () => valid({ unsid: 'no-such-unsid' }),
      status: 404,
      graphCode: 'itemNotFound',
      code: 'NOT_FOUND',
    },
    {
      name: "another app's UNSID (of the same user)",
      request: () => valid({ unsid: otherAppsUnsid }),
      status: 404,
      graphCode: 'itemNotFound',
      code: 'NOT_FOUND',
    },
    {
      name: 'a JSON array body',
      request: () => valid({ body: `[${graphBody(HOST)}]` }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'a body that is not JSON',
      request: () => valid({ body: '{"targetHostName": ' }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'a JSON string body',
      request: () => valid({ body: '"hello"' }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'a text/plain body',
      request: () => valid({ headers: { 'content-type': 'text/plain' } }),
      status: 415,
      graphCode: 'notSupported',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a brotli-encoded body (Graph took gzip and deflate only)',
      request: async () =>
        valid({ body: brotliCompressSync(graphBody(HOST)), headers: { 'content-encoding': 'br' } }),
      status: 415,
      graphCode: 'notSupported',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a gzip body that is not gzip data',
      request: () => valid({ headers: { 'content-encoding': 'gzip' } }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'a chunked deflate body longer than TIDINGS_MAX_BODY_BYTES that expands to almost nothing',
      request: async () =>
        valid({
          // 2,000 empty stored blocks: 10 KB on the wire, nothing decompressed.
          body: emptyBlocksDeflate(2000),
          chunked: true,
          headers: { 'content-encoding': 'deflate' },
        }),
      status: 413,
      graphCode: 'invalidRequest',
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a small gzip body that expands past TIDINGS_MAX_BODY_BYTES',
      request: async () =>
        valid({
          body: gzipSync(graphBody(HOST, { payload: { rawContent: 'x'.repeat(1_000_000) } })),
          headers: { 'content-encoding': 'gzip' },
        }),
      status: 413,
      graphCode: 'invalidRequest',
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a body over TIDINGS_MAX_BODY_BYTES',
      request: () => valid({ body: graphBody(HOST, { payload: { rawContent: 'x'.repeat(5000) } }) }),
      status: 413,
      graphCode: 'invalidRequest',
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: "another app's targetHostName",
      request: () => valid({ body: graphBody('other.example.com') }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'targetHostName',
    },
    {
      // GraphQL lets an app token leave it out; Graph required it, and so does this route.
      name: 'no targetHostName',
      request: () => valid({ body: graphBody(HOST, { targetHostName: undefined }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'targetHostName',
    },
    {
      name: 'a null targetHostName',
      request: () => valid({ body: graphBody(HOST, { targetHostName: null }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'targetHostName',
    },
    {
      name: 'no payload',
      request: () => valid({ body: graphBody(HOST, { payload: {} }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'payload',
    },
    {
      name: 'an unknown platform',
      request: () => valid({ body: graphBody(HOST, { targetPolicy: { platformTypes: ['fridge'] } }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'targetPolicy.platformTypes[0]',
    },
    {
      name: 'an unknown priority',
      request: () => valid({ body: graphBody(HOST, { priority: 'Urgent' }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'priority',
    },
    {
      name: 'displayTimeToLive that is not a number',
      request: () => valid({ body: graphBody(HOST, { displayTimeToLive: 'sixty' }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'displayTimeToLive',
    },
    {
      name: 'displayTimeToLive out of range',
      request: () => valid({ body: graphBody(HOST, { displayTimeToLive: '0' }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
      field: 'displayTimeToLive',
    },
    {
      name: 'a field Graph never had',
      request: () => valid({ body: graphBody(HOST, { colour: 'red' }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_USER_INPUT',
    },
    {
      // Graph named the user by X-UNS-ID only; GraphQL's userId is not part of the route's shape.
      name: 'a user id in the body (GraphQL has one, Graph did not)',
      request: () => valid({ body: graphBody(HOST, { userId: 'alice' }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    {
      name: 'a UNSID in the body instead of X-UNS-ID',
      request: () => valid({ body: graphBody(HOST, { deviceSubscriptionId: aliceIos }) }),
      status: 400,
      graphCode: 'invalidRequest',
      code: 'BAD_REQUEST',
    },
    ...['GET', 'PUT', 'PATCH', 'DELETE'].map(
      (method): Refusal => ({
        name: `method ${method}`,
        request: () => valid({ method }),
        status: 405,
        graphCode: 'notSupported',
        code: 'METHOD_NOT_ALLOWED',
        headers: { allow: 'POST' },
      }),
    ),
  ];

  it.each(refusals)(
    'refuses $name with $status in Graph’s error shape, and writes nothing',
    async (refusal) => {
      const before = await heads(t, aliceIos, otherAppsUnsid);
      const answer = await send(t.origin, await refusal.request());
      expectGraphError(answer, refusal.status, refusal.graphCode, refusal.code, refusal.field);
      for (const [name, value] of Object.entries(refusal.headers ?? {})) {
        expect(answer.headers.get(name)).toBe(value);
      }
      expect(await heads(t, aliceIos, otherAppsUnsid)).toEqual(before);
    },
  );

  it("answers another app's UNSID exactly as an unknown one, so UNSIDs leak nothing", async () => {
    const strip = (answer: GraphAnswer) => {
      const { date: _, ...innerError } = answer.body.error.innerError;
      return { status: answer.status, error: { ...answer.body.error, innerError } };
    };
    const unknown = await send(t.origin, await valid({ unsid: 'no-such-unsid' }));
    const foreign = await send(t.origin, await valid({ unsid: otherAppsUnsid }));
    expect(strip(foreign)).toEqual(strip(unknown));
  });

  it('says which field is wrong in terms of the Graph body, not GraphQL variables', async () => {
    const answer = await send(t.origin, await valid({ body: graphBody(HOST, { priority: 'Urgent' }) }));
    expect(answer.body.error.message).not.toMatch(/\$input/);
    expect(answer.body.error.message).toMatch(/priority/);
  });
});

describe('the Graph route and the app rate limit', () => {
  it('share one budget with GraphQL: past the burst either way is refused, with 429 and Retry-After', async () => {
    // The budget refills by the gateway's clock, which stands still: a slow machine refills nothing.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATION_BURST: '3', TIDINGS_APP_MUTATIONS_PER_SECOND: '1' },
      now: clock.now,
    });
    const host = 'limited.example.com';
    const restFirst = await t.registerApp(host);
    const graphqlFirst = await t.registerApp('limited-2.example.com');
    const user = await t.userToken('alice', restFirst.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const unsid2 = await createDevice(t.url, await t.userToken('alice', graphqlFirst.app), 'WEB');

    // Three Graph posts spend the burst; GraphQL is then refused.
    const restToken = await restFirst.token();
    for (let i = 0; i < 3; i += 1) {
      expect((await send(t.origin, { token: restToken, unsid, body: graphBody(host) })).status).toBe(201);
    }
    const refusedGraphql = await postNotification(t.url, restToken, notificationInput(unsid, host));
    expect([refusedGraphql.status, errorCodes(refusedGraphql)]).toEqual([429, ['RATE_LIMITED']]);

    // Three GraphQL posts spend the other app's burst; the Graph route is then refused.
    const graphqlToken = await graphqlFirst.token();
    const host2 = 'limited-2.example.com';
    for (let i = 0; i < 3; i += 1) {
      dataOf(await postNotification(t.url, graphqlToken, notificationInput(unsid2, host2)));
    }
    const before = await heads(t, unsid2);
    const refusedRest = await send(t.origin, { token: graphqlToken, unsid: unsid2, body: graphBody(host2) });
    expectGraphError(refusedRest, 429, 'activityLimitReached', 'RATE_LIMITED');
    expect(Number(refusedRest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await heads(t, unsid2)).toEqual(before);
  });
});

// Always on PostgreSQL (through a proxy the test can cut), whichever store the suite runs on: a store
// that cannot be reached is a network failure.
describe('the Graph route while the store cannot be reached', () => {
  it('answers 503 serviceNotAvailable and writes nothing', async () => {
    const postgres = new URL(testPostgresUrl());
    const proxy = await startTcpProxy(postgres.hostname, Number(postgres.port || 5432));
    const through = new URL((await createTestSchema()).url);
    through.host = `127.0.0.1:${proxy.port}`;
    const t = await startGateway({ env: { DATABASE_URL: through.toString() } });
    const host = 'down.example.com';
    const app = await t.registerApp(host);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const before = await heads(t, unsid);

    await proxy.cut();
    const refused = await send(t.origin, { token: appToken, unsid, body: graphBody(host) });
    await proxy.restore();

    expectGraphError(refused, 503, 'serviceNotAvailable', 'SERVICE_UNAVAILABLE');
    expect(await heads(t, unsid)).toEqual(before);
  });
});

describe('the Graph route and the operation limits', () => {
  it('posts under the lowest limits an operator may set, which still bind GraphQL clients', async () => {
    // The route's own createNotification operation is fixed by the server (depth 6, 23 fields): the
    // limits that guard against clients' operations must not make every Graph post fail.
    const t = await startGateway({ env: { TIDINGS_MAX_QUERY_DEPTH: '2', TIDINGS_MAX_FIELDS: '10' } });
    const host = 'limits.example.com';
    const app = await t.registerApp(host);
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const created = await send(t.origin, {
      token: await app.token(),
      unsid,
      body: graphBody(host, {
        priority: 'High',
        payload: { rawContent: 'r' },
        fallbackPolicy: {
          endpointFallback: {
            platformTypes: ['web'],
            fallbackDelayInSeconds: 60,
            visualContent: { title: 'T' },
          },
        },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.fallbackPolicy.endpointFallback.visualContent.title).toBe('T');
    const deep = await graphql(t.url, '{ notifications { edges { node { id } } } }', {}, user);
    expect(errorCodes(deep)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('Graph bodies that are not notifications', () => {
  it('refuses a body nested deeper than any notification with 400, not an internal error', async () => {
    const t = await startGateway();
    const host = 'deep.example.com';
    const app = await t.registerApp(host);
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const before = await heads(t, unsid);
    const nested = 20_000; // 40 KB, well under the body limit
    const answer = await send(t.origin, {
      token: await app.token(),
      unsid,
      body: `{"targetHostName":"${host}","appNotificationId":"deep","payload":${'['.repeat(nested)}${']'.repeat(nested)}}`,
    });
    expectGraphError(answer, 400, 'invalidRequest', 'BAD_REQUEST');
    expect(await heads(t, unsid)).toEqual(before);
  });

  it('refuses a __proto__ member as the unknown field it is, and takes nothing from it', async () => {
    const t = await startGateway();
    const host = 'proto.example.com';
    const app = await t.registerApp(host);
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const before = await heads(t, unsid);
    // JSON.parse makes "__proto__" an own member; copied with `=`, it would become the copy's prototype.
    const answer = await send(t.origin, {
      token: await app.token(),
      unsid,
      body: `{"targetHostName":"${host}","appNotificationId":"p","payload":{"visualContent":{"title":"T"}},"__proto__":{"colour":"red","priority":"high"}}`,
    });
    expectGraphError(answer, 400, 'invalidRequest', 'BAD_USER_INPUT');
    expect(await heads(t, unsid)).toEqual(before);
  });
});

describe('the Graph route and request ids', () => {
  it("notes a client that leaves mid-body on the request's log, with its id, and not as an error", async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const host = 'ids.example.com';
    const app = await t.registerApp(host);
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    // A client that goes away in the middle of its body: reading it fails, and there is no one to answer.
    const { port } = new URL(t.origin);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      [
        'POST /v1.0/me/notifications HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        `authorization: Bearer ${await app.token()}`,
        `x-uns-id: ${unsid}`,
        'x-request-id: graph-abort-1',
        'content-type: application/json',
        'content-length: 1000',
        '',
        '{"targetHostName":',
      ].join('\r\n'),
    );
    socket.destroy();
    await vi.waitFor(() => expect(logs.withMessage('client left mid-request')).not.toHaveLength(0), {
      timeout: 5000,
    });
    expect(logs.withMessage('client left mid-request').map((line) => [line.level, line.requestId])).toEqual([
      ['debug', 'graph-abort-1'],
    ]);
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});

/** A zlib stream of `blocks` empty stored blocks and no data: long on the wire, empty decompressed. */
function emptyBlocksDeflate(blocks: number): Uint8Array {
  // Header 0x78 0x01; each empty non-final stored block is 0x00 then LEN 0x0000 and NLEN 0xffff.
  const emptyBlock = [0x00, 0x00, 0x00, 0xff, 0xff];
  return Uint8Array.from([0x78, 0x01, ...Array.from({ length: blocks }, () => emptyBlock).flat()]);
}

/** `body` as a stream of 1 KiB chunks: fetch then sends it chunked, without Content-Length. */
function streamOf(body: string | Uint8Array): ReadableStream<Uint8Array> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 1024));
      offset += 1024;
    },
  });
}
