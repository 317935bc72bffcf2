import { queryObjects } from 'node:v8';
import type { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { initSocket } from '../support/raw-socket.js';

// Sockets that open and never say anything: each must be closed with 4408 once the connection_init
// timeout passes, and leave nothing behind in the gateway, which runs in this process, so its objects and
// handles are ours to count. What such sockets cost in memory and time (heap per socket, heap left after
// they closed, how long closing them takes) is measured by the benchmark, not asserted here: see the
// "unauthenticated" figures of test/bench/scenarios/idle-memory.ts.

// Long enough that a socket that does send connection_init is never cut by it, even on a busy machine.
const INIT_TIMEOUT_MS = 2500;
const IDLE_SOCKETS = 500;
const BATCH = 100;

/** Opens `count` sockets that never send a message; resolves once all are open, with their close codes. */
async function openIdle(wsUrl: string, count: number): Promise<{ closed: Promise<number[]> }> {
  const opened: Promise<void>[] = [];
  const closed: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    // No reference is kept to the socket itself (not even for cleanup): the gateway closes it, and a
    // reference here would count as a leak below.
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    opened.push(
      new Promise((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      }),
    );
    closed.push(new Promise((resolve) => socket.once('close', (code) => resolve(code))));
  }
  await Promise.all(opened);
  return { closed: Promise.all(closed) };
}

/** WebSocket objects (after a full collection), TCP handles and timers of the whole process. */
function census() {
  const resources = process.getActiveResourcesInfo();
  return {
    // Client and server ends alike: `ws` is one module for the gateway and this test.
    webSockets: queryObjects(WebSocket, { format: 'count' }) as number,
    tcpSockets: resources.filter((name) => name === 'TCPSocketWrap').length,
    timers: resources.filter((name) => name === 'Timeout').length,
  };
}

describe('idle sockets', () => {
  it(`closes ${IDLE_SOCKETS} sockets that never send connection_init with 4408 and leaves nothing of them`, {
    timeout: 60_000,
  }, async () => {
    const t = await startGateway({ env: { TIDINGS_CONNECTION_INIT_TIMEOUT_MS: String(INIT_TIMEOUT_MS) } });
    const app = await t.registerApp('idle.example.com');
    const appToken = await app.token();
    const alice = await t.userToken('alice', app.app);
    const device = await createDevice(t.url, alice, 'WEB');
    // The gateway's own count of its sockets (GET /metrics serves it; read here without an HTTP
    // connection, which would be one more TCP handle in the counts).
    const gauge = t.gateway.services.metrics.registry.getSingleMetric('tidings_open_sockets') as Gauge;
    const gatewaySockets = async () => (await gauge.get()).values[0]?.value;
    /**
     * Once every client has seen its close and the gateway holds no socket, both ends have run their
     * close events: their TCP handles are closed and their timers cleared.
     */
    const gatewayHoldsNone = () => expect.poll(gatewaySockets, { timeout: 10_000 }).toBe(0);

    // Warm-up: the same path once (code compiled, pools and caches grown), then the baseline.
    const warmUp = await openIdle(t.wsUrl, BATCH);
    expect(new Set(await warmUp.closed)).toEqual(new Set([4408]));
    await gatewayHoldsNone();
    const baseline = census();

    const batches: Promise<number[]>[] = [];
    for (let opened = 0; opened < IDLE_SOCKETS; opened += BATCH)
      batches.push((await openIdle(t.wsUrl, BATCH)).closed);
    // Every socket was accepted (`open`) and closed by the gateway's timeout, none otherwise.
    const codes = (await Promise.all(batches)).flat();
    expect(codes).toHaveLength(IDLE_SOCKETS);
    expect(codes.filter((code) => code !== 4408)).toEqual([]);
    await gatewayHoldsNone();

    // Nothing of the sockets is left: not one WebSocket object (either end), TCP handle or timer (the init
    // timeout's, the keep-alive's). Handles and timers are the whole process's, where an HTTP keep-alive
    // connection of the set-up may close meanwhile: at most the baseline.
    const after = census();
    expect(after.webSockets).toBe(baseline.webSockets);
    expect(after.tcpSockets).toBeLessThanOrEqual(baseline.tcpSockets);
    expect(after.timers).toBeLessThanOrEqual(baseline.timers);

    // The gateway still serves: a live feed gets its notification, and one user's 20 connection slots
    // (TIDINGS_MAX_CONNECTIONS_PER_USER's default) are all free, the 21st refused.
    const feed = openFeed(t.wsUrl, alice, {
      deviceSubscriptionId: device,
      after: await feedCursor(t.url, alice),
    });
    const posted = dataOf(
      await postNotification(t.url, appToken, notificationInput(device, 'idle.example.com')),
    );
    const id = posted.createNotification.notification.id;
    await feed.until((change) => change.notification?.id === id);
    await feed.close();
    const bob = await t.userToken('bob', app.app);
    const beforeBob = census().webSockets;
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => initialise(t.wsUrl, bob)));
    expect(outcomes).toEqual(Array(20).fill('ack'));
    expect(await initialise(t.wsUrl, bob)).toBe(4030);
    // The census sees the gateway's sockets, not only this test's (so the equality above is no accident):
    // bob's 20 open sockets are 40 objects, a client and a server end each.
    // (Counted from just before them: sockets closed since the census above may be collected meanwhile.)
    expect(census().webSockets - beforeBob).toBeGreaterThanOrEqual(40);
  });
});

/** A socket that sends connection_init: 'ack', or the close code. */
const initialise = async (wsUrl: string, token: string) => (await initSocket(wsUrl, token)).outcome;
