import { describe, expect, it } from 'vitest';
import type { FeedSignal } from '../../src/fanout/fanout.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';

// A feed holds its one listener itself and a Set from the second on: each step of that must reach exactly
// the listeners subscribed, however they come and go.
const signal = (deviceSubscriptionId: string): FeedSignal => ({
  kind: 'DEVICE_REMOVED',
  deviceSubscriptionId,
});

/** A listener that records what it hears. */
function recorder() {
  const heard: string[] = [];
  const listener = (received: FeedSignal) => {
    if (received.kind === 'DEVICE_REMOVED') heard.push(received.deviceSubscriptionId);
  };
  return { heard, listener };
}

describe('the in-process fan-out', () => {
  it('reaches every listener of a feed as they subscribe and unsubscribe, and only that feed', () => {
    const errors: unknown[] = [];
    const fanout = createMemoryFanout((error) => errors.push(error));
    const first = recorder();
    const second = recorder();
    const third = recorder();
    const elsewhere = recorder();
    const offFirst = fanout.subscribe('feed', first.listener);
    const offElsewhere = fanout.subscribe('other feed', elsewhere.listener);
    fanout.deliver('feed', signal('a'));
    const offSecond = fanout.subscribe('feed', second.listener);
    fanout.deliver('feed', signal('b'));
    offFirst();
    const offThird = fanout.subscribe('feed', third.listener);
    fanout.deliver('feed', signal('c'));
    offSecond();
    offThird();
    fanout.deliver('feed', signal('d'));
    fanout.subscribe('feed', first.listener);
    fanout.deliver('feed', signal('e'));
    offElsewhere();
    fanout.deliver('other feed', signal('f'));

    expect(first.heard).toEqual(['a', 'b', 'e']);
    expect(second.heard).toEqual(['b', 'c']);
    expect(third.heard).toEqual(['c']);
    expect(elsewhere.heard).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('unsubscribes once: a stale call leaves the same listener subscribed again in place', () => {
    const fanout = createMemoryFanout(() => {});
    const one = recorder();
    const two = recorder();
    const offOne = fanout.subscribe('feed', one.listener);
    const offTwo = fanout.subscribe('feed', two.listener);
    offOne();
    fanout.subscribe('feed', one.listener);
    offOne(); // stale: from the first subscription
    fanout.deliver('feed', signal('a'));
    offTwo();
    offTwo(); // stale
    fanout.deliver('feed', signal('b'));

    expect(one.heard).toEqual(['a', 'b']);
    expect(two.heard).toEqual(['a']);
  });

  it('reports a listener that throws and still reaches the others', () => {
    const errors: unknown[] = [];
    const fanout = createMemoryFanout((error) => errors.push(error));
    const failure = new Error('listener failed');
    const other = recorder();
    fanout.subscribe('feed', () => {
      throw failure;
    });
    fanout.deliver('feed', signal('a'));
    fanout.subscribe('feed', other.listener);
    fanout.deliver('feed', signal('b'));

    expect(errors).toEqual([failure, failure]);
    expect(other.heard).toEqual(['b']);
  });
});
