import { once } from 'node:events';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { createDevice } from '../support/operations.js';

const HOST = 'aborts.example.com';
const CLIENTS = 200;

/**
 * Sends a request's head and the start of a body announced longer, then drops the connection: a
 * client that leaves mid-body (a phone losing its network, a user closing the page).
 */
async function leaveMidBody(port: number, head: readonly string[], bodyStart: Buffer): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`${[...head, `host: 127.0.0.1:${port}`, 'content-length: 4000', '', ''].join('\r\n')}`);
  socket.write(bodyStart);
  socket.destroy();
}

describe('clients that leave in the middle of their request body', () => {
  it('are no error of the gateway: no line above info, no stack; every request still gets its access line', async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const port = Number(new URL(t.origin).port);
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const userToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, userToken, 'WEB');
    const graphStart = Buffer.from(`{"targetHostName":"${HOST}","appNotificationId":"gone","payload":`);
    // Every route that reads a body: GraphQL, the token endpoint, the Graph route (plain and gzip).
    const requests = [
      (id: string) =>
        leaveMidBody(
          port,
          [
            'POST /graphql HTTP/1.1',
            `x-request-id: ${id}`,
            'content-type: application/json',
            `authorization: Bearer ${userToken}`,
          ],
          Buffer.from('{"query":"{ deviceSubscriptions { id } }","vari'),
        ),
      (id: string) =>
        leaveMidBody(
          port,
          [
            'POST /oauth2/token HTTP/1.1',
            `x-request-id: ${id}`,
            'content-type: application/x-www-form-urlencoded',
          ],
          Buffer.from('grant_type=client_credentials&client_id='),
        ),
      (id: string) =>
        leaveMidBody(
          port,
          [
            'POST /v1.0/me/notifications HTTP/1.1',
            `x-request-id: ${id}`,
            'content-type: application/json',
            `authorization: Bearer ${appToken}`,
            `x-uns-id: ${unsid}`,
          ],
          graphStart,
        ),
      (id: string) =>
        leaveMidBody(
          port,
          [
            'POST /v1.0/me/notifications HTTP/1.1',
            `x-request-id: ${id}`,
            'content-type: application/json',
            'content-encoding: gzip',
            `authorization: Bearer ${appToken}`,
            `x-uns-id: ${unsid}`,
          ],
          gzipSync(graphStart).subarray(0, 30),
        ),
    ];
    const ids = Array.from({ length: CLIENTS }, (_, i) => `gone-${i}`);
    await Promise.all(ids.map((id, i) => requests[i % requests.length]?.(id)));

    const accessLines = () =>
      logs.withMessage('http request').filter((line) => ids.includes(String(line.requestId)));
    await expect.poll(() => accessLines().length, { timeout: 20_000 }).toBe(CLIENTS);
    expect(accessLines().every((line) => line.aborted === true)).toBe(true);
    expect(logs.lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
    expect(logs.lines.filter((line) => 'stack' in line)).toEqual([]);
    // At most one quiet line each, on the request's log (one that left before its route read anything
    // has nothing more to say than its access line).
    const left = logs.withMessage('client left mid-request');
    expect(left.length).toBeLessThanOrEqual(CLIENTS);
    expect(left.filter((line) => line.level !== 'debug' || !ids.includes(String(line.requestId)))).toEqual(
      [],
    );
  });
});
