import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/http-server.js';
import { listen } from '../../src/http/listen.js';
import { silentLogger } from '../../src/logger.js';
import { startGateway } from '../support/gateway.js';

/** Sends `GET <path>` on a connection, and resolves with the answer's head once it is read. */
async function getOn(socket: Socket, port: number, path = '/healthz'): Promise<string> {
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
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
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

  it('are closed by the gateway after TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const t = await startGateway({ env: { TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS: '1s' } });
    const port = Number(new URL(t.origin).port);
    const socket = await openConnection(port);
    const closed = once(socket, 'close');
    const head = await getOn(socket, port);
    expect(head.toLowerCase()).toContain('keep-alive: timeout=1');
    // The gateway ends the idle connection itself (bounded: the test fails if it never does).
    await Promise.race([
      closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the idle connection stayed open')), 10_000),
      ),
    ]);
  });

  it('are not kept once the server closes: a request still sent on one is answered with Connection: close', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = () => {};
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const server = createHttpServer({
      routes: {
        'GET /slow': async (_, response) => {
          entered();
          await released;
          response.end('slow');
        },
        'GET /healthz': (_, response) => {
          response.end('ok');
        },
      },
      logger: silentLogger,
      clientAddress: () => '127.0.0.1',
      keepAliveTimeoutMs: 72_000,
    });
    const port = await listen(server, {
      host: '127.0.0.1',
      port: 0,
      portSetting: 'PORT',
      hostSetting: 'HOST',
    });
    const socket = await openConnection(port);
    const closed = once(socket, 'close');
    try {
      // A request in flight while the server closes: answered, its connection kept (Node's doing).
      const slow = getOn(socket, port, '/slow');
      await inFlight;
      server.close();
      release();
      expect((await slow).toLowerCase()).not.toContain('connection: close');
      // The next request on that connection is answered, and the connection closed after it.
      const next = await getOn(socket, port);
      expect(next).toMatch(/^HTTP\/1\.1 200 /);
      expect(next.toLowerCase()).toContain('connection: close');
      await Promise.race([
        closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), 10_000)),
      ]);
    } finally {
      socket.destroy();
      server.closeAllConnections();
    }
  });
});
