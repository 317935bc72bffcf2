import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Fanout } from '../../src/fanout/fanout.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { onCleanup } from '../support/cleanup.js';
import { type FeedClient, openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { eventually } from '../support/state-operations.js';

/** The in-memory fan-out, counting the listeners live feeds hold on it. */
function countingFanout(): { fanout: Fanout; listeners: () => number } {
  const inner = createMemoryFanout(() => {});
  let live = 0;
  return {
    listeners: () => live,
    fanout: {
      ...inner,
      subscribe(feedId, listener) {
        const unsubscribe = inner.subscribe(feedId, listener);
        live += 1;
        let done = false;
        return () => {
          if (!done) live -= 1;
          done = true;
          unsubscribe();
        };
      },
    },
  };
}

const SOCKETS = 40;
const POSTS = 30;

describe('clients that vanish in the middle of a delivery', () => {
  it('leave no listener and no connection slot behind, and the others receive everything', async () => {
    const { fanout, listeners } = countingFanout();
    const t = await startGateway({ fanout, env: { TIDINGS_MAX_CONNECTIONS_PER_USER: String(SOCKETS) } });
    const app = await t.registerApp('vanish.example.com');
    const alice = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, alice, 'WEB');
    const appToken = await app.token();
    const after = await feedCursor(t.url, alice);
    const openAll = () =>
      Array.from({ length: SOCKETS }, () => openFeed(t.wsUrl, alice, { deviceSubscriptionId: unsid, after }));

    const feeds = openAll();
    await eventually(async () => expect(listeners()).toBe(SOCKETS));
    const posting = (async () => {
      const ids: string[] = [];
      for (let i = 0; i < POSTS; i += 1) {
        const posted = await postNotification(
          t.url,
          appToken,
          notificationInput(unsid, 'vanish.example.com'),
        );
        ids.push(dataOf(posted).createNotification.notification.id);
      }
      return ids;
    })();
    // Half the devices drop off the network (no close frame) as soon as deliveries are under way.
    await feeds[0]?.next();
    const vanished = feeds.filter((_, i) => i % 2 === 1);
    const staying = feeds.filter((_, i) => i % 2 === 0);
    for (const feed of vanished) feed.kill();
    const ids = await posting;
    const lastId = ids.at(-1);
    for (const feed of staying) {
      await feed.until((change) => change.notification?.id === lastId);
      expect(feed.received.map((change) => change.notification?.id)).toEqual(ids);
    }
    await eventually(async () => expect(listeners()).toBe(staying.length));
    await Promise.all(staying.map((feed: FeedClient) => feed.close()));
    await eventually(async () => expect(listeners()).toBe(0));

    // Every connection slot of the user was given back: the full allowance connects again.
    const again = openAll();
    await eventually(async () => expect(listeners()).toBe(SOCKETS));
    await Promise.all(again.map((feed) => feed.close()));
    await eventually(async () => expect(listeners()).toBe(0));
  });

  it('are cut by the keep-alive when they stop answering pings; live ones stay', async () => {
    const t = await startGateway({ env: { TIDINGS_KEEP_ALIVE_MS: '200' } });
    const app = await t.registerApp('silent.example.com');
    const token = await t.userToken('silent', app.app);
    const open = (answerPings: boolean) => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', { autoPong: answerPings });
      onCleanup(() => socket.terminate());
      let pings = 0;
      socket.on('ping', () => {
        pings += 1;
      });
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
        ),
      );
      return { socket, closed, pings: () => pings };
    };
    const silent = open(false);
    const live = open(true);
    // Cut without a close frame (the peer is presumed gone): 1006 on this side.
    expect(await silent.closed).toBe(1006);
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    const pingsSoFar = live.pings();
    await eventually(async () => expect(live.pings()).toBeGreaterThanOrEqual(pingsSoFar + 3));
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
  });
});
