import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { createTestClock } from '../support/clock.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import {
  CREATE_NOTIFICATION,
  createDevice,
  notificationInput,
  postNotification,
} from '../support/operations.js';

const aliased = (count: number) => Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ');

describe('operation shape limits, on by default', () => {
  it('refuses too deep, too aliased or too wide operations before running them, over HTTP and WebSocket', async () => {
    const t = await startGateway();
    const app = await t.registerApp('limits.example.com');
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    // The deepest operation a client needs (depth 7) is within the default limit of 8.
    const deepest =
      '{ notifications { edges { node { fallbackPolicy { endpointFallback { visualContent { title } } } } } } }';
    expect(errorCodes(await graphql(t.url, deepest, {}, user))).toEqual([]);
    const devices = (selection: string) => `{ deviceSubscriptions { edges { node { ${selection} } } } }`;
    const wide = await graphql(t.url, devices(aliased(21)), {}, user);
    expect(wide.status).toBe(400);
    expect(errorCodes(wide)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(errorCodes(await graphql(t.url, devices(aliased(20)), {}, user))).toEqual([]);
    const manyFields = devices(Array.from({ length: 149 }, () => 'id').join(' ')); // 152 fields in all
    expect(errorCodes(await graphql(t.url, manyFields, {}, user))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    // The same rules over WebSocket, which does not pass through Apollo.
    const feed = openFeed(
      t.wsUrl,
      user,
      { deviceSubscriptionId: unsid },
      `kind ${aliased(21).replaceAll(': id', ': cursor')}`,
    );
    expect((await feed.failed).map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses a document whose fragments spread into each other, without expanding it', async () => {
    const t = await startGateway();
    const app = await t.registerApp('spread.example.com');
    const user = await t.userToken('alice', app.app);
    // Nine levels of ten spreads each: 10^9 uses of the innermost field, in under 1 KB.
    let document = 'query { ...F0 }\n';
    for (let level = 0; level < 9; level++) {
      document += `fragment F${level} on Query { ${Array.from({ length: 10 }, () => `...F${level + 1}`).join(' ')} }\n`;
    }
    const introspectionInside = `${document}fragment F9 on Query { __type(name: "Query") { name } }`;
    const fieldInside = `${document}fragment F9 on Query { __typename }`;
    // The test timeout bounds the rule's own cost: an expanding walk of 10^9 fields would never end.
    const refused = await graphql(t.url, fieldInside, {}, user);
    expect(refused.status).toBe(400);
    expect(errorCodes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // Introspection is counted too, against its own budget (10^9 roots and 2·10^9 fields: both over).
    const introspection = await graphql(t.url, introspectionInside, {}, user);
    expect(introspection.status).toBe(400);
    expect(errorCodes(introspection)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
  });

  it('counts nesting depth through fragments', async () => {
    const t = await startGateway({ env: { TIDINGS_MAX_QUERY_DEPTH: '4' } });
    const app = await t.registerApp('depth.example.com');
    const user = await t.userToken('alice', app.app);
    const query = `fragment P on Notification { payload { visualContent { title } } }
      { notifications { edges { node { ...P } } } }`; // depth 6
    const response = await graphql(t.url, query, {}, user);
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(errorCodes(await graphql(t.url, '{ notifications { edges { cursor } } }', {}, user))).toEqual([]);
  });

  it('lets the introspection query through in development (Apollo Sandbox), and refuses it in production', async () => {
    const dev = await startGateway();
    const devApp = await dev.registerApp('dev.example.com');
    const devUser = await dev.userToken('alice', devApp.app);
    expect(errorCodes(await graphql(dev.url, getIntrospectionQuery(), {}, devUser))).toEqual([]);

    const prod = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    const prodApp = await prod.registerApp('prod.example.com');
    const prodUser = await prod.userToken('alice', prodApp.app);
    const refused = await graphql(prod.url, getIntrospectionQuery(), {}, prodUser);
    expect(refused.status).toBe(400);
    expect(errorCodes(refused)[0]).toBe('GRAPHQL_VALIDATION_FAILED');
    const unsid = await createDevice(prod.url, prodUser, 'WEB');
    const overWs = openFeed(
      prod.wsUrl,
      prodUser,
      { deviceSubscriptionId: unsid },
      'kind __schema { queryType { name } }',
    );
    expect((await overWs.failed).map((error) => error.extensions?.code)).toContain(
      'GRAPHQL_VALIDATION_FAILED',
    );
  });

  it('suggests field and enum names in development only, over HTTP and WebSocket', async () => {
    const misspelled = '{ deviceSubscription { id } }';
    const badEnum =
      'mutation ($p: Platform!) { createDeviceSubscription(input: { platform: $p, deviceLabel: "x" }) { id } }';
    const messages = async (mode: 'development' | 'production') => {
      const t = await startGateway({ env: { TIDINGS_MODE: mode } });
      const app = await t.registerApp(`${mode}.example.com`);
      const user = await t.userToken('alice', app.app);
      const unsid = await createDevice(t.url, user, 'WEB');
      const overWs = openFeed(t.wsUrl, user, { deviceSubscriptionId: unsid }, 'kind notificaton { id }');
      return [
        ...((await graphql(t.url, misspelled, {}, user)).errors ?? []),
        ...((await graphql(t.url, badEnum, { p: 'WEBB' }, user)).errors ?? []),
        ...(await overWs.failed),
      ].map((error) => error.message);
    };
    const development = await messages('development');
    expect(development).toHaveLength(3);
    for (const message of development) expect(message).toMatch(/Did you mean/);
    const production = await messages('production');
    expect(production).toHaveLength(3);
    for (const message of production) expect(message).not.toMatch(/Did you mean/);
    expect(production[0]).toBe('Cannot query field "deviceSubscription" on type "Query".');
  });
});

describe('per-app rate limit on mutations', () => {
  it('answers 429 with Retry-After past the burst, and stores nothing for the refused mutation', async () => {
    // The budget refills by the gateway's clock, which stands still: a slow machine refills nothing.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATIONS_PER_SECOND: '1', TIDINGS_APP_MUTATION_BURST: '3' },
      now: clock.now,
    });
    const app = await t.registerApp('rate.example.com');
    const appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    for (let i = 0; i < 3; i++) {
      expect(
        errorCodes(await postNotification(t.url, appToken, notificationInput(unsid, 'rate.example.com'))),
      ).toEqual([]);
    }
    const refused = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, 'rate.example.com', { appNotificationId: 'refused' }),
    );
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    const feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
    expect(await t.gateway.services.store.findNotificationByAppId(feedId, 'refused')).toBeNull();
    // Another app has its own budget.
    const other = await t.registerApp('other.example.com');
    const otherUser = await t.userToken('alice', other.app);
    const otherUnsid = await createDevice(t.url, otherUser, 'WEB');
    expect(
      errorCodes(
        await postNotification(
          t.url,
          await other.token(),
          notificationInput(otherUnsid, 'other.example.com'),
        ),
      ),
    ).toEqual([]);
  });

  it('refills at the sustained rate, by the gateway clock: one second later, one more mutation', async () => {
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATIONS_PER_SECOND: '1', TIDINGS_APP_MUTATION_BURST: '2' },
      now: clock.now,
    });
    const host = 'refill.example.com';
    const app = await t.registerApp(host);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const post = async () => postNotification(t.url, appToken, notificationInput(unsid, host));
    expect(errorCodes(await post())).toEqual([]);
    expect(errorCodes(await post())).toEqual([]);
    expect((await post()).status).toBe(429);
    clock.advance(1000);
    expect(errorCodes(await post())).toEqual([]);
    expect((await post()).status).toBe(429);
  });

  it('refuses a mutation over WebSocket past the burst with the coded error, from the same budget', async () => {
    // The budget refills by the gateway's clock, which stands still: a slow machine refills nothing.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATIONS_PER_SECOND: '1', TIDINGS_APP_MUTATION_BURST: '2' },
      now: clock.now,
    });
    const app = await t.registerApp('ws-rate.example.com');
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    const client = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${appToken}` },
      retryAttempts: 0,
    });
    onCleanup(() => client.dispose());
    const overWs = (input: Record<string, unknown>) =>
      new Promise<{ data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] }>(
        (resolve, reject) => {
          let result: { data?: unknown } = {};
          client.subscribe(
            { query: CREATE_NOTIFICATION, variables: { input } },
            {
              next: (value) => {
                result = value;
              },
              error: (errors) => (Array.isArray(errors) ? resolve({ errors }) : reject(errors as Error)),
              complete: () => resolve(result),
            },
          );
        },
      );
    // One over HTTP, one over WebSocket: the app's budget of two is shared by both transports.
    expect(
      errorCodes(await postNotification(t.url, appToken, notificationInput(unsid, 'ws-rate.example.com'))),
    ).toEqual([]);
    const accepted = await overWs(notificationInput(unsid, 'ws-rate.example.com'));
    expect(accepted.errors).toBeUndefined();
    const refused = await overWs(
      notificationInput(unsid, 'ws-rate.example.com', { appNotificationId: 'refused-ws' }),
    );
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    const feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
    expect(await t.gateway.services.store.findNotificationByAppId(feedId, 'refused-ws')).toBeNull();
  });
});
