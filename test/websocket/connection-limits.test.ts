import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { createDevice } from '../support/operations.js';
import { initSocket } from '../support/raw-socket.js';

const connect = initSocket;

describe('connection limits, on by default', () => {
  it('closes a socket past the per-user limit with 4030, counts only that user, and frees slots on close', async () => {
    const t = await startGateway({ env: { TIDINGS_MAX_CONNECTIONS_PER_USER: '3' } });
    const app = await t.registerApp('conn.example.com');
    const alice = await t.userToken('alice', app.app);
    const bob = await t.userToken('bob', app.app);
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await connect(t.wsUrl, alice));
    expect(open.map((c) => c.outcome)).toEqual(['ack', 'ack', 'ack']);
    expect((await connect(t.wsUrl, alice)).outcome).toBe(4030);
    expect((await connect(t.wsUrl, bob)).outcome).toBe('ack');
    // Closing one frees a slot (the server counts on its own close event: poll, bounded in time, not in
    // attempts, which a busy machine could use up before the close arrives).
    open[0]?.socket.close();
    await expect.poll(async () => (await connect(t.wsUrl, alice)).outcome, { timeout: 10_000 }).toBe('ack');
  });

  it('refuses an operation past the per-connection limit with LIMIT_EXCEEDED, keeping the others', async () => {
    const t = await startGateway({ env: { TIDINGS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' } });
    const app = await t.registerApp('subs.example.com');
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const { socket, outcome } = await connect(t.wsUrl, user);
    expect(outcome).toBe('ack');
    const errors: unknown[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'error')
        errors.push({ id: message.id, codes: message.payload.map((e: any) => e.extensions?.code) });
    });
    const subscribe = (id: string) =>
      socket.send(
        JSON.stringify({
          id,
          type: 'subscribe',
          payload: {
            query: 'subscription ($s: ID!) { notificationChanges(deviceSubscriptionId: $s) { cursor } }',
            variables: { s: unsid },
          },
        }),
      );
    subscribe('1');
    subscribe('2');
    subscribe('3');
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => socket.once('message', resolve));
    expect(errors).toEqual([{ id: '3', codes: ['LIMIT_EXCEEDED'] }]);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    // Another connection has its own budget.
    const other = openFeed(t.wsUrl, user, { deviceSubscriptionId: unsid });
    await other.close();
  });
});
