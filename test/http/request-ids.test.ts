import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { startChildGateway } from '../support/child-gateway.js';
import { onCleanup } from '../support/cleanup.js';
import { startGateway, temporaryDataDir } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { createDevice } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POSTs `{ deviceSubscriptions { edges { node { id } } } }` with the given extra headers. */
const listDevices = (url: string, token: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query: '{ deviceSubscriptions { edges { node { id } } } }' }),
  });

describe('request ids and access logs', () => {
  it("keeps the client's X-Request-Id, echoes it, and logs one access line with it; no token is logged", async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const app = await t.registerApp('logs.example.com');
    const token = await t.userToken('alice', app.app);

    const response = await listDevices(t.url, token, { 'x-request-id': 'client-req-42' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-req-42');
    await response.text();
    await expect.poll(() => logs.lines.filter((line) => line.requestId === 'client-req-42').length).toBe(1);
    expect(logs.lines.filter((line) => line.requestId === 'client-req-42')).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'http request',
        clientAddress: '127.0.0.1',
        method: 'POST',
        path: '/graphql',
        status: 200,
        durationMs: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(logs.lines)).not.toContain(token);
  });

  it('replaces a missing or unsafe request id with a new one, echoed and logged', async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const app = await t.registerApp('logs.example.com');
    const token = await t.userToken('alice', app.app);
    for (const given of [undefined, 'has spaces', 'x'.repeat(129), 'quote"and\\backslash']) {
      const response = await listDevices(t.url, token, given === undefined ? {} : { 'x-request-id': given });
      await response.text();
      const id = response.headers.get('x-request-id') ?? '';
      expect(id).toMatch(UUID);
      await expect
        .poll(() => logs.withMessage('http request').filter((line) => line.requestId === id).length)
        .toBe(1);
    }
    expect(logs.lines.some((line) => JSON.stringify(line).includes('has spaces'))).toBe(false);
  });

  it('logs token endpoint requests with their id, and never the client secret or the token', async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const { app, clientSecret } = await t.registerApp('logs.example.com');
    const response = await fetch(`${t.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'token-req-1' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.id,
        client_secret: clientSecret,
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('token-req-1');
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    await expect.poll(() => logs.lines.filter((line) => line.requestId === 'token-req-1').length).toBe(1);
    expect(logs.lines.find((line) => line.requestId === 'token-req-1')).toMatchObject({
      msg: 'http request',
      method: 'POST',
      path: '/oauth2/token',
      status: 200,
    });
    const everything = JSON.stringify(logs.lines);
    expect(everything).not.toContain(clientSecret);
    expect(everything).not.toContain(accessToken);
  });

  it("tags an unexpected error's log line with the request id (HTTP) or the connection id (WebSocket)", async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const app = await t.registerApp('logs.example.com');
    const token = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, token, 'WEB');
    // A real fault under the running gateway: another process renames a table it needs away.
    await storeSql(t, 'ALTER TABLE "DeviceSubscription" RENAME TO "Gone"');
    /** The level and message of each line logged with request id `id`, in order. */
    const linesOf = (id: string) =>
      logs.lines.filter((line) => line.requestId === id).map((line) => [line.level, line.msg]);

    const response = await listDevices(t.url, token, { 'x-request-id': 'broken-1' });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    await expect.poll(() => linesOf('broken-1').length).toBe(2);
    expect(linesOf('broken-1')).toEqual([
      ['error', 'unexpected error'],
      ['info', 'http request'],
    ]);

    // The Graph-compatible route: its post runs the mutation with the request's own logger too.
    const graph = await fetch(`${t.origin}/v1.0/me/notifications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await app.token()}`,
        'content-type': 'application/json',
        'x-request-id': 'graph-3',
        'x-uns-id': unsid,
      },
      body: JSON.stringify({
        targetHostName: 'logs.example.com',
        appNotificationId: 'broken-graph',
        payload: { visualContent: { title: 'Hello' } },
      }),
    });
    expect(graph.status).toBe(500);
    await expect.poll(() => linesOf('graph-3').length).toBe(2);
    expect(linesOf('graph-3')).toEqual([
      ['error', 'unexpected error'],
      ['info', 'http request'],
    ]);

    // Over WebSocket: the connection's id (here the client's X-Request-Id on the upgrade request).
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', {
      headers: { 'x-request-id': 'socket-7' },
    });
    onCleanup(() => socket.terminate());
    // graphql-ws answers an operation that fails as it starts with `next` carrying the errors.
    const answer = await new Promise<{
      type: string;
      payload?: { errors?: Array<{ extensions?: { code?: string } }> };
    }>((resolve, reject) => {
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
        ),
      );
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_ack') {
          socket.send(
            JSON.stringify({
              id: '1',
              type: 'subscribe',
              payload: {
                query: 'subscription ($id: ID!) { notificationChanges(deviceSubscriptionId: $id) { kind } }',
                variables: { id: unsid },
              },
            }),
          );
        } else resolve(message);
      });
      socket.on('error', reject);
    });
    expect(answer.type).toBe('next');
    expect(answer.payload?.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(logs.lines.filter((line) => line.connectionId === 'socket-7').map((line) => line.msg)).toEqual([
      'websocket opened',
      'unexpected error',
    ]);
    socket.close();
    await expect
      .poll(() => logs.lines.filter((line) => line.connectionId === 'socket-7').map((line) => line.msg))
      .toEqual(['websocket opened', 'unexpected error', 'websocket closed']);
    expect(logs.lines.find((line) => line.msg === 'websocket closed')).toMatchObject({
      level: 'info',
      clientAddress: '127.0.0.1',
      code: 1005, // the client closed without a code
      durationMs: expect.any(Number),
    });
  });

  it('writes JSON lines on stderr from `tidings serve`, at TIDINGS_LOG_LEVEL and above', async () => {
    const accessLines = async (env: Record<string, string>) => {
      const server = await startChildGateway(env, temporaryDataDir());
      const response = await fetch(server.url.replace(/\/graphql$/, '/healthz'), {
        headers: { 'x-request-id': 'serve-1' },
      });
      expect(response.headers.get('x-request-id')).toBe('serve-1');
      expect(await server.stop()).toBe(0);
      return server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'http request');
    };
    expect(await accessLines({})).toEqual([
      expect.objectContaining({ level: 'info', requestId: 'serve-1', path: '/healthz', status: 200 }),
    ]);
    expect(await accessLines({ TIDINGS_LOG_LEVEL: 'warn' })).toEqual([]);
    expect(() => loadConfig({ TIDINGS_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => loadConfig({ TIDINGS_LOG_LEVEL: 'loud' })).toThrow(/TIDINGS_LOG_LEVEL/);
  });
});
