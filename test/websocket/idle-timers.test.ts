import { createHook } from 'node:async_hooks';
import type { Gauge } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { watchTimers } from '../support/armed-timers.js';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { eventually } from '../support/state-operations.js';

// An idle gateway (no socket, nothing delivered) must not be woken by timers that only matter while
// sockets exist or marks wait (issue 14: idle CPU). The gateway runs in this process, so its timers are
// counted here: an async hook notes every Timeout with the source file that armed it, and forgets it once
// cleared or fired. Counts, not times: how much an idle gateway costs is the benchmark's (idle-cpu).

const SOURCES = ['src/websocket/use-ws.ts', 'src/delivery/delivery-recorder.ts'] as const;
type Source = (typeof SOURCES)[number];

const armed = new Map<number, Source>();
const hook = createHook({
  init(asyncId, type) {
    if (type !== 'Timeout') return;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 30;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    const source = SOURCES.find((file) => stack.includes(file));
    if (source) armed.set(asyncId, source);
  },
  destroy(asyncId) {
    armed.delete(asyncId);
  },
});

/** Timers armed by `source` and not yet cleared (or, for a timeout, fired). */
const timersOf = (source: Source) => [...armed.values()].filter((s) => s === source).length;

beforeEach(() => {
  armed.clear();
  hook.enable();
});
afterEach(() => {
  hook.disable();
});

/** The delays of the keep-alive's pending timeouts. */
const keepAliveTimers = watchTimers('src/websocket/use-ws.ts');

/** The gateway's own count of its open sockets (what /metrics serves). */
function openSockets(t: TestGateway): () => Promise<number | undefined> {
  const gauge = t.gateway.services.metrics.registry.getSingleMetric('tidings_open_sockets') as Gauge;
  return async () => (await gauge.get()).values[0]?.value;
}

describe("an idle gateway's timers", () => {
  it('keep-alive runs only while a socket is open, and starts again with the next', async () => {
    const t = await startGateway({ env: { TIDINGS_KEEP_ALIVE_MS: '200' } });
    const app = await t.registerApp('timers.example.com');
    const token = await t.userToken('timed', app.app);
    const sockets = openSockets(t);
    /** A socket that counts the gateway's pings (and answers them, as `ws` does by default). */
    const open = () => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
      onCleanup(() => socket.terminate());
      let pings = 0;
      socket.on('ping', () => {
        pings += 1;
      });
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
        ),
      );
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      return { socket, closed, pings: () => pings };
    };

    expect(timersOf('src/websocket/use-ws.ts')).toBe(0);
    for (let turn = 1; turn <= 2; turn++) {
      const client = open();
      await eventually(async () => expect(client.pings()).toBeGreaterThanOrEqual(2));
      expect(timersOf('src/websocket/use-ws.ts')).toBe(1);
      client.socket.close();
      await client.closed;
      await eventually(async () => expect(await sockets()).toBe(0));
      // Stopped at its first tick without a socket.
      await eventually(async () => expect(timersOf('src/websocket/use-ws.ts')).toBe(0));
    }
  });

  it('with fewer sockets than a round has slices, the next round waits the keep-alive interval, not a slice', async () => {
    // 2 s: a slice is 100 ms; a tick per slice pinged a lone socket every 100 ms.
    const t = await startGateway({ env: { TIDINGS_KEEP_ALIVE_MS: '2000' } });
    const app = await t.registerApp('lone.example.com');
    const token = await t.userToken('lone', app.app);
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    onCleanup(() => socket.terminate());
    const pinged = new Promise<void>((resolve) => socket.once('ping', () => resolve()));
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    await pinged;
    // Its round is done: one timer, for the next round (the interval less the moment this round took;
    // the fired one of the ping's tick is forgotten a moment after it ran).
    await eventually(async () => {
      const delays = keepAliveTimers();
      expect(delays).toHaveLength(1);
      expect(delays[0]).toBeGreaterThan(1000);
    });
  });

  it('the delivery-marks flush is armed by a mark and not again until the next', async () => {
    const t = await startGateway({ env: { TIDINGS_DELIVERY_FLUSH_MS: '50' } });
    const app = await t.registerApp('marks.example.com');
    const appToken = await app.token();
    const token = await t.userToken('marked', app.app);
    const device = await createDevice(t.url, token, 'WEB');
    const written = vi.spyOn(t.gateway.services.store, 'recordDeliveryMarks');
    expect(timersOf('src/delivery/delivery-recorder.ts')).toBe(0);

    const feed = openFeed(t.wsUrl, token, {
      deviceSubscriptionId: device,
      after: await feedCursor(t.url, token),
    });
    onCleanup(() => feed.close());
    for (let turn = 1; turn <= 2; turn++) {
      const posted = dataOf(
        await postNotification(t.url, appToken, notificationInput(device, 'marks.example.com')),
      );
      const id = posted.createNotification.notification.id;
      await feed.until((change) => change.notification?.id === id);
      // Each delivery is written (the timer was armed again after the first flush), then nothing waits.
      await eventually(async () => expect(written).toHaveBeenCalledTimes(turn));
      await eventually(async () => expect(timersOf('src/delivery/delivery-recorder.ts')).toBe(0));
    }
    const [marks] = written.mock.calls[1] ?? [];
    expect(marks?.map((mark) => mark.deviceSubscriptionId)).toEqual([device]);
  });
});
