import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/delivery/cursor.js';
import { openFeedStream } from '../../src/delivery/feed-stream.js';
import type { FeedHead, FeedPosition } from '../../src/domain/types.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { startGateway } from '../support/gateway.js';
import { heapHolds } from '../support/heap.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

// An idle live feed is kept for as long as its socket is open (10,000 of them on a busy process): it keeps
// what it needs to go on, not what it needed to start (the cursor it resumed from, the head read with the
// device). The feed reads the gateway's real store and hears its real fan-out.

const HOST = 'idle-feed.example.com';

describe('an idle live feed', () => {
  it('lets go of where it started once it has started', async () => {
    const fanout = createMemoryFanout(() => {});
    const t = await startGateway({ fanout });
    const app = await t.registerApp(HOST);
    const userToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, userToken, 'WEB');
    const { store } = t.gateway.services;
    const feedId = (await store.findDeviceSubscription(unsid))?.feedId as string;
    const cursor = await feedCursor(t.url, userToken);
    await postNotification(
      t.url,
      await app.token(),
      notificationInput(unsid, HOST, { appNotificationId: 'n-1' }),
    );
    // Objects only the feed could keep, told apart by a marker: a field of their own whose text is made
    // here and searched for as bytes (a Buffer is outside the heap). Made in a function of their own, so
    // that no frame of this test keeps them.
    const marker = Buffer.from(`start-marker-${process.pid}-${Date.now()}`);
    const head = await store.feedHead(feedId);
    const open = () =>
      openFeedStream({
        store,
        fanout,
        feedId,
        deviceSubscriptionId: unsid,
        platform: 'WEB',
        after: { ...decodeCursor(cursor, 'after'), marker: String(marker) } as FeedPosition,
        head: { ...head, marker: String(marker) } as FeedHead,
        maxPending: 100,
        onOverflow: () => {},
      });
    // The search finds such a string while something keeps it (else the check below could not fail).
    const kept: string[] = [String(marker)];
    expect(await heapHolds(marker)).toBe(true);
    kept.length = 0;
    const stream = open();
    try {
      // Started: it resumed after the cursor, and sent what followed it.
      const step = await stream.next();
      expect(step.done ? null : step.value.type).toBe('change');
      // Now idle, waiting for the next change.
      const waiting = stream.next();
      expect(await heapHolds(marker)).toBe(false);
      await stream.return();
      expect((await waiting).done).toBe(true);
    } finally {
      await stream.return();
    }
  });
});
