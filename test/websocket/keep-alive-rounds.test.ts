import type { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { heapHolds } from '../support/heap.js';
import { eventually } from '../support/state-operations.js';

// The keep-alive pings every socket once a round, a round spread over 20 ticks of one timer. A socket that
// closes during a round must not stay reachable from it until the round ends (a keep-alive interval: 12 s
// by default), or a gateway whose devices come and go holds the memory of the ones gone. Each socket is
// told apart by its `X-Request-Id` (the connection id the server keeps with the socket's listeners): the
// heap holds that text while the server keeps anything of the socket.

/** The gateway's own count of its open sockets (what /metrics serves). */
function openSockets(t: TestGateway): () => Promise<number | undefined> {
  const gauge = t.gateway.services.metrics.registry.getSingleMetric('tidings_open_sockets') as Gauge;
  return async () => (await gauge.get()).values[0]?.value;
}

describe('keep-alive rounds', () => {
  it('keep nothing of a socket that closed during the round', async () => {
    // A round of 60 s, a tick every 3 s pinging 2 of the 40 sockets: the round is under way, with
    // sockets still to ping, for the rest of the test.
    const t = await startGateway({ env: { TIDINGS_KEEP_ALIVE_MS: '60000' } });
    const app = await t.registerApp('keep-alive.example.com');
    const count = openSockets(t);
    // The ids' common start, as bytes (a Buffer is outside the heap): the search does not find its own copy.
    const marker = Buffer.from(`keep-alive-round-${process.pid}-${Date.now()}-`);
    let pings = 0;
    // Made in a function of their own, so that no frame of the test keeps the clients' sockets.
    const open = (index: number, token: string) => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', {
        headers: { 'x-request-id': `${String(marker)}${index}` },
      });
      onCleanup(() => socket.terminate());
      socket.on('ping', () => {
        pings += 1;
      });
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
        ),
      );
      const acknowledged = new Promise<void>((resolve) => socket.once('message', () => resolve()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      return { acknowledged, closed, close: () => socket.close() };
    };
    // One user each: a user's connections are bounded.
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, index) => t.userToken(`pinged-${index}`, app.app)),
    );
    const clients = tokens.map((token, index) => open(index, token));
    await Promise.all(clients.map((client) => client.acknowledged));
    // The round has begun: its first tick pinged the first sockets.
    await eventually(async () => expect(pings).toBeGreaterThan(0), 10_000);
    // The search finds the server's connection ids while the sockets are open (else the check below
    // could not fail).
    expect(await heapHolds(marker)).toBe(true);

    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.closed));
    await eventually(async () => expect(await count()).toBe(0));
    clients.length = 0;
    await expect.poll(() => heapHolds(marker)).toBe(false);
  });
});
