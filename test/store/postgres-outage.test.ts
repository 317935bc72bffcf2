import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { requestAppToken, temporaryDataDir } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import { captureLogs } from '../support/logs.js';
import {
  createDevice,
  FEED,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { startGatewayBehindProxies } from '../support/outage.js';
import { connectPostgres, createTestSchema } from '../support/postgres.js';

const HOST = 'outage.example.com';

// Short bounds, so the test waits little; the defaults are a few seconds each (README Operations).
const BOUNDS = {
  TIDINGS_POSTGRES_CONNECT_TIMEOUT_MS: '1000',
  TIDINGS_POSTGRES_STATEMENT_TIMEOUT_MS: '1000',
  TIDINGS_POSTGRES_TRANSACTION_TIMEOUT_MS: '2000',
};

/** How a subscription start ends: the code it was refused with, or 'live' once it read the store. */
async function subscriptionStart(wsUrl: string, token: string, deviceSubscriptionId: string, after: string) {
  const feed = openFeed(wsUrl, token, { deviceSubscriptionId, after });
  try {
    return await Promise.race([
      feed.next(10_000).then(
        () => 'live',
        () => 'nothing within 10 s',
      ),
      feed.failed.then((errors) => errors.map((error) => error.extensions?.code).join(',')),
    ]);
  } finally {
    await feed.close();
  }
}

// The outage is real: PostgreSQL hangs for this gateway behind a TCP proxy (connections accepted, nothing
// forwarded), then comes back while the connections held through the hang stay half-open, as a
// middlebox leaves them. Always on PostgreSQL (vitest.config.ts runs it once).
describe('a gateway on PostgreSQL through a hang, then half-open connections', () => {
  it('answers SERVICE_UNAVAILABLE within its bounds while PostgreSQL hangs, and serves again once it is back, without a restart', async () => {
    const logs = captureLogs();
    const { t, database } = await startGatewayBehindProxies({ env: BOUNDS, logger: logs.logger });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const userToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, userToken, 'WEB');
    const start = await feedCursor(t.url, userToken);
    // Several pooled connections in use when the hang begins, as under load.
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((id) =>
        postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId: id })),
      ),
    );

    database.hang();
    // Each answers (no call waits for the database to come back), and says "retry later".
    const [posted, read, token, subscription, ready] = await Promise.all([
      postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'during' })),
      graphql(t.url, FEED, { first: 10 }, userToken),
      requestAppToken(t.origin, app.app.id, app.clientSecret),
      subscriptionStart(t.wsUrl, userToken, unsid, start),
      fetch(`${t.origin}/readyz`),
    ]);
    expect(errorCodes(posted)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(errorCodes(read)).toEqual(['SERVICE_UNAVAILABLE']);
    expect([posted.status, read.status, token.status, ready.status]).toEqual([503, 503, 503, 503]);
    expect(subscription).toBe('SERVICE_UNAVAILABLE');

    // Back, but every connection held through the hang stays open and silent for good.
    database.heal();
    const serves = async () => {
      const again = await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, HOST, { appNotificationId: 'after' }),
      );
      const feed = await graphql(t.url, FEED, { first: 10 }, userToken);
      const tokenAnswer = await requestAppToken(t.origin, app.app.id, app.clientSecret);
      return {
        post: again.status,
        read: feed.status,
        token: tokenAnswer.status,
        subscription: await subscriptionStart(t.wsUrl, userToken, unsid, start),
        readyz: (await fetch(`${t.origin}/readyz`)).status,
      };
    };
    await expect
      .poll(serves, { timeout: 30_000, interval: 250 })
      .toEqual({ post: 200, read: 200, token: 200, subscription: 'live', readyz: 200 });
    // Nothing of the outage was an unexpected error.
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  }, 60_000);
});

describe('a statement waiting on a lock another process holds', () => {
  it('is cancelled at the statement timeout with SERVICE_UNAVAILABLE, and the store goes on once the lock is gone', async () => {
    const { url, schema } = await createTestSchema();
    const config = loadConfig(
      { DATABASE_URL: url, TIDINGS_POSTGRES_STATEMENT_TIMEOUT_MS: '1500' },
      { dataDir: temporaryDataDir() },
    );
    const store = await createStore(config);
    onCleanup(() => store.close());
    const { app } = await registerApp(store, { targetHostName: HOST });
    // Another process's transaction holds the app's row (and would hold it until this test lets go).
    const other = await connectPostgres();
    await other.query('BEGIN');
    await other.query(`SELECT * FROM ${pg.escapeIdentifier(schema)}."App" FOR UPDATE`);

    const refused = await store.setAppSecretHash(app.id, 'rotated').catch((error: unknown) => error);
    expect((refused as { code?: unknown }).code).toBe('SERVICE_UNAVAILABLE');

    await other.query('ROLLBACK');
    expect(await store.setAppSecretHash(app.id, 'rotated')).toBe(true);
  });
});
