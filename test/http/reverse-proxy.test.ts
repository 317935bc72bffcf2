import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { CHANGE_SELECTION, openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { type ProxyClient, startNginx } from '../support/nginx.js';
import { CREATE_DEVICE, CREATE_NOTIFICATION, FEED, notificationInput } from '../support/operations.js';

// Tidings behind Debian's nginx running the README's configuration (its ```nginx block): TLS ends at
// nginx, WebSockets are upgraded through it, and it passes the client's address in X-Forwarded-For.
// Three loopback addresses tell the parts apart: clients connect from 127.0.0.3 (or 127.0.0.1 directly),
// nginx connects to Tidings from 127.0.0.2, the one address Tidings trusts as a proxy.
const PROXY_ADDRESS = '127.0.0.2';
const CLIENT_ADDRESS = '127.0.0.3';
const FORGED = '203.0.113.7';
const HOST = 'proxied.example.com';

/** POSTs one GraphQL operation through the proxy; the data, or the test fails with the errors. */
async function graphqlThrough(
  client: ProxyClient,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<any> {
  const response = await client.request('POST', '/graphql', {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = JSON.parse(response.body) as { data?: unknown; errors?: unknown };
  if (response.status !== 200 || body.errors) {
    throw new Error(`GraphQL through the proxy: ${response.status} ${response.body}`);
  }
  return body.data;
}

describe('behind nginx (TLS, WebSocket upgrade, X-Forwarded-For)', () => {
  it('delivers live over wss://, resumes from a cursor and takes Graph-compatible posts, logging the real client', async () => {
    const logs = captureLogs('info');
    const t = await startGateway({ logger: logs.logger, env: { TIDINGS_TRUSTED_PROXIES: PROXY_ADDRESS } });
    const nginx = await startNginx(t.origin, PROXY_ADDRESS);
    // The client claims to be someone else: the proxy appends the address it really came from.
    const client = nginx.client(CLIENT_ADDRESS, { 'x-forwarded-for': FORGED });
    const { app, clientSecret } = await t.registerApp(HOST);

    // An app token from the token endpoint, through the proxy.
    const tokenAnswer = await client.request('POST', '/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'proxied-token' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.id,
        client_secret: clientSecret,
      }).toString(),
    });
    expect(tokenAnswer.status).toBe(200);
    const appToken = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;

    const user = await t.userToken('alice', app);
    const unsid = (
      await graphqlThrough(client, CREATE_DEVICE, { input: { platform: 'WINDOWS', deviceLabel: 'pc' } }, user)
    ).createDeviceSubscription.id as string;
    const { feedCursor } = (await graphqlThrough(client, FEED, { first: 1 }, user)).notifications;

    // Live, over wss:// through the proxy: a post on the Graph-compatible route arrives.
    const feed = openFeed(
      nginx.wsUrl,
      user,
      { deviceSubscriptionId: unsid, after: feedCursor },
      CHANGE_SELECTION,
      client.WebSocket,
    );
    const graphPost = await client.request('POST', '/v1.0/me/notifications', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${appToken}`,
        'x-uns-id': unsid,
        'x-request-id': 'proxied-graph',
      },
      body: JSON.stringify({
        targetHostName: HOST,
        appNotificationId: 'order-42',
        payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
        targetPolicy: { platformTypes: ['windows'] },
        priority: 'High',
      }),
    });
    expect(graphPost.status).toBe(201);
    const live = await feed.next();
    expect(live).toMatchObject({ kind: 'CREATED', notification: { appNotificationId: 'order-42' } });
    await feed.close();

    // Resume: posted while the device was away, replayed after its cursor on the next connection.
    await graphqlThrough(
      client,
      CREATE_NOTIFICATION,
      { input: notificationInput(unsid, HOST, { appNotificationId: 'while-away' }) },
      appToken,
    );
    const resumed = openFeed(
      nginx.wsUrl,
      user,
      { deviceSubscriptionId: unsid, after: live.cursor },
      CHANGE_SELECTION,
      client.WebSocket,
    );
    expect(await resumed.next()).toMatchObject({
      kind: 'CREATED',
      notification: { appNotificationId: 'while-away' },
    });
    await resumed.close();

    // Every access line and socket line names the client nginx saw, never the proxy or the forged one.
    const accessLines = logs.withMessage('http request');
    for (const requestId of ['proxied-token', 'proxied-graph']) {
      expect(accessLines.find((line) => line.requestId === requestId)).toMatchObject({
        clientAddress: CLIENT_ADDRESS,
      });
    }
    await expect.poll(() => logs.withMessage('websocket closed').length).toBe(2);
    const socketLines = [...logs.withMessage('websocket opened'), ...logs.withMessage('websocket closed')];
    expect(socketLines.map((line) => line.clientAddress)).toEqual(Array(4).fill(CLIENT_ADDRESS));
    expect(JSON.stringify(logs.lines)).not.toContain(FORGED);

    // The example's per-address limit on token requests: a burst from one address is cut off at nginx,
    // and another address is still answered by Tidings.
    const guess = (from: ProxyClient) =>
      from.request('POST', '/oauth2/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${app.id}&client_secret=guess`,
      });
    const burst = await Promise.all(Array.from({ length: 60 }, () => guess(client)));
    expect(new Set(burst.map((answer) => answer.status))).toEqual(new Set([401, 429]));
    expect((await guess(nginx.client('127.0.0.4'))).status).toBe(401);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy; without trusted proxies, nginx is the client', async () => {
    const logs = captureLogs('info');
    const t = await startGateway({ logger: logs.logger, env: { TIDINGS_TRUSTED_PROXIES: PROXY_ADDRESS } });

    // Straight to Tidings from 127.0.0.1, forging the header: over HTTP and on a WebSocket upgrade.
    const direct = await fetch(`${t.origin}/healthz`, {
      headers: { 'x-forwarded-for': `${FORGED}, ${PROXY_ADDRESS}`, 'x-request-id': 'direct-forged' },
    });
    expect(direct.status).toBe(200);
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', {
      headers: { 'x-forwarded-for': FORGED, 'x-request-id': 'direct-socket' },
    });
    onCleanup(() => socket.terminate());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.close();
    await expect.poll(() => logs.withMessage('websocket closed').length).toBe(1);
    expect(logs.lines.find((line) => line.requestId === 'direct-forged')).toMatchObject({
      msg: 'http request',
      clientAddress: '127.0.0.1',
    });
    expect(
      logs.lines.filter((line) => line.connectionId === 'direct-socket').map((line) => line.clientAddress),
    ).toEqual(['127.0.0.1', '127.0.0.1']);

    // A gateway that trusts no proxy (the default) sees nginx as the client, whatever the header says.
    const untrusting = captureLogs('info');
    const plain = await startGateway({ logger: untrusting.logger });
    const nginx = await startNginx(plain.origin, PROXY_ADDRESS);
    const response = await nginx.client(CLIENT_ADDRESS).request('GET', '/healthz', {
      headers: { 'x-request-id': 'via-untrusted-proxy' },
    });
    expect(response.status).toBe(200);
    await expect
      .poll(() => untrusting.lines.find((line) => line.requestId === 'via-untrusted-proxy')?.clientAddress)
      .toBe(PROXY_ADDRESS);
  });
});
