import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../support/cleanup.js';
import { createGate, startClientApp } from '../support/client-app.js';
import { createTestClock } from '../support/clock.js';
import { startGateway, testRedisUrl } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import { createTestSchema, testPostgresUrl } from '../support/postgres.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const HOST = 'outage.example.com';

// The outage is real: a TCP proxy in front of the machine's PostgreSQL refuses connections for this
// gateway only (as in test/http/readiness.test.ts), so this file always runs on PostgreSQL.
describe('the client library through a store outage', () => {
  it('keeps trying when the store cannot be reached as it resubscribes, and resumes once it is back', async () => {
    const { hostname, port } = new URL(testPostgresUrl());
    const proxy = await startTcpProxy(hostname, Number(port));
    const database = new URL((await createTestSchema()).url);
    database.host = `127.0.0.1:${proxy.port}`;
    // The gateway's clock stands still until the test moves it, with no clock tolerance: a token that lasts
    // a second is closed (4403) only once the test moves the clock past it, within a second of real time.
    const clock = createTestClock();
    const t = await startGateway({
      now: clock.now,
      env: {
        DATABASE_URL: database.toString(),
        REDIS_URL: testRedisUrl(),
        TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
        TIDINGS_CLOCK_TOLERANCE: '0',
      },
    });
    onCleanup(() => proxy.restore());
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const userToken = await t.userToken('alice', app.app);
    // Runs out when the test moves the clock: the gateway closes the socket (4403) and the client
    // resubscribes with a fresh one.
    const shortToken = await t.userToken('alice', app.app, 1);
    const unsid = await createDevice(t.url, userToken, 'WEB');
    const reconnect = createGate();
    let waits = 0;
    const client = startClientApp({
      url: t.url,
      deviceSubscriptionId: unsid,
      token: ({ refresh }) => (refresh ? userToken : shortToken),
      retryWait: async () => {
        waits++;
        await reconnect.opened;
      },
    });
    await client.untilStatus('live');
    clock.advance(2000);
    expect(await client.untilStatus('reconnecting')).toEqual({ state: 'reconnecting', closeCode: 4403 });

    // The store is gone while the client subscribes again: the gateway answers SERVICE_UNAVAILABLE.
    await proxy.cut();
    reconnect.open();
    await client.until(() => waits >= 3, 'attempts while the store is unreachable');
    expect(client.statuses.some((status) => status.state === 'failed')).toBe(false);

    await proxy.restore();
    await client.until(
      () => client.client.status.state === 'live' || client.client.status.state === 'failed',
      'live again',
      20_000,
    );
    dataOf(
      await postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'after' })),
    );
    await client.untilChange('after');
    expect(client.client.status).toEqual({ state: 'live' });
  }, 40_000);
});
