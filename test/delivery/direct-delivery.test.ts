import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/delivery/cursor.js';
import { type FeedEvent, openFeedStream } from '../../src/delivery/feed-stream.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { startGateway } from '../support/gateway.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

// A caught-up live feed hands a live change straight to its consumer (the WebSocket transport's shared
// frame), without a step of its iterator; anything it cannot send that way goes through the iterator, in
// order, with nothing lost or repeated. The feed here reads the gateway's real store and hears its real
// fan-out; only the consumer is the test's.

const HOST = 'direct.example.com';
const idOf = (step: IteratorResult<FeedEvent, void>) =>
  step.done
    ? 'done'
    : step.value.type === 'change'
      ? step.value.change.notification.appNotificationId
      : 'resync';

/**
 * A gateway on an in-memory fan-out, a WEB device of `user`, one notification ("replayed") posted after
 * the cursor the device's feed stream resumes from, and that stream, telling `delivered` what it sent.
 */
async function directFeed(user: string) {
  const fanout = createMemoryFanout(() => {});
  const t = await startGateway({ fanout });
  const app = await t.registerApp(HOST);
  const appToken = await app.token();
  const userToken = await t.userToken(user, app.app);
  const unsid = await createDevice(t.url, userToken, 'WEB');
  const feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
  const post = (appNotificationId: string) =>
    postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId }));
  const after = decodeCursor(await feedCursor(t.url, userToken), 'after');
  await post('replayed');
  const delivered: Array<[number, number]> = [];
  const stream = openFeedStream({
    store: t.gateway.services.store,
    fanout,
    feedId,
    deviceSubscriptionId: unsid,
    platform: 'WEB',
    after,
    maxPending: 100,
    onOverflow: () => {},
    onDelivered: (from, to) => delivered.push([from, to]),
  });
  return { after, post, delivered, stream };
}

describe('direct delivery of live changes', () => {
  it('sends a caught-up device its live changes directly, and the rest through the iterator, in order', async () => {
    const { after, post, delivered, stream } = await directFeed('alice');
    const direct: string[] = [];
    // Takes every change but those named "slow-…", as a consumer that cannot send some events itself.
    stream.deliverDirectly((event, written) => {
      const id = event.change.notification.appNotificationId;
      if (id.startsWith('slow-')) return false;
      direct.push(id);
      // The socket takes it later, as a real one does.
      setImmediate(written);
      return true;
    });
    try {
      // The replay goes through the iterator.
      expect(idOf(await stream.next())).toBe('replayed');
      // Asked for the next event, the feed waits, caught up: live changes go to the consumer directly.
      let settled = false;
      const waiting = stream.next().then((step) => {
        settled = true;
        return step;
      });
      await post('live-1');
      await post('live-2');
      await expect.poll(() => direct).toEqual(['live-1', 'live-2']);
      await expect.poll(() => delivered.length).toBe(3);
      expect(settled).toBe(false);
      // One the consumer does not take comes through the iterator, and the feed goes on after it.
      await post('slow-1');
      expect(idOf(await waiting)).toBe('slow-1');
      const next = stream.next();
      await post('live-3');
      await expect.poll(() => direct).toEqual(['live-1', 'live-2', 'live-3']);
      // Every offset was told delivered once, as one unbroken stretch from where the feed started.
      await expect.poll(() => delivered.length).toBe(5);
      const offsets = delivered.map(([, to]) => to);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(5);
      expect(new Set(delivered.map(([from]) => from))).toEqual(new Set([after.offset]));
      expect(offsets.at(-1)).toBe(after.offset + 5);
      await stream.return();
      expect((await next).done).toBe(true);
    } finally {
      await stream.return();
    }
  });

  it('tells delivered only the frames the socket took, in the order they were sent', async () => {
    const { after, post, delivered, stream } = await directFeed('bob');
    // A socket that completes its writes later, in order, and fails the ones named "lost-…".
    const writes: Array<() => void> = [];
    stream.deliverDirectly((event, written) => {
      const lost = event.change.notification.appNotificationId.startsWith('lost-');
      writes.push(() => written(lost ? new Error('write failed') : null));
      return true;
    });
    try {
      expect(idOf(await stream.next())).toBe('replayed');
      const next = stream.next(); // caught up: the feed waits for live changes, which go directly
      await post('kept-1');
      await post('lost-1');
      await post('kept-2');
      await expect.poll(() => writes.length).toBe(3);
      // Nothing sent directly is delivered before the socket took it.
      expect(delivered).toEqual([[after.offset, after.offset + 1]]);
      for (const write of writes) write();
      expect(delivered).toEqual([
        [after.offset, after.offset + 1],
        [after.offset, after.offset + 2],
        [after.offset, after.offset + 4],
      ]);
      await stream.return();
      expect((await next).done).toBe(true);
    } finally {
      await stream.return();
    }
  });
});
