import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';

/** Opens a connection, sends `GET /healthz` on it, and resolves with the answer's head once it is read. */
async function getOn(socket: Socket, port: number): Promise<string> {
  let received = '';
  const head = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve(received.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  socket.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
  return head;
}

async function openConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('idle HTTP keep-alive connections', () => {
  it('are kept 72 s by default, and the answer says so: longer than a proxy keeps its idle upstream connections (60 s)', async () => {
    const t = await startGateway({});
    const port = Number(new URL(t.origin).port);
    const socket = await openConnection(port);
    try {
      const head = await getOn(socket, port);
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      // What Node's client agents (and proxies that read it) use to drop the connection before the server does.
      expect(head.toLowerCase()).toContain('keep-alive: timeout=72');
      expect(socket.closed).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('are closed by the gateway after TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS, and not before an answer', async () => {
    const t = await startGateway({ env: { TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS: '1s' } });
    const port = Number(new URL(t.origin).port);
    const socket = await openConnection(port);
    const closed = once(socket, 'close');
    const head = await getOn(socket, port);
    expect(head.toLowerCase()).toContain('keep-alive: timeout=1');
    const answeredAt = performance.now();
    // The gateway ends the idle connection itself (bounded: the test fails if it never does).
    await Promise.race([
      closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the idle connection stayed open')), 10_000),
      ),
    ]);
    // Not at once after the answer: it waited for the (short) timeout.
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(900);
  });
});
