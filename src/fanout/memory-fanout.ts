import { changesByFeed, type Fanout, type FeedListener, type FeedSignal } from './fanout.js';

export interface MemoryFanout extends Fanout {
  /** Hands a signal to a feed's listeners in this process (what a transport received). */
  deliver(feedId: string, signal: FeedSignal): void;
}

/**
 * The fan-out of a single process: a map from feed to its listeners. A feed with one listener (a user
 * with one device online, the common case) holds that function itself, not a Set of one: an idle socket
 * paid ≈ 0.17 KiB for the Set and its table.
 */
export function createMemoryFanout(onListenerError: (error: unknown) => void): MemoryFanout {
  const listeners = new Map<string, FeedListener | Set<FeedListener>>();
  const call = (listener: FeedListener, signal: FeedSignal) => {
    try {
      listener(signal);
    } catch (error) {
      onListenerError(error);
    }
  };
  const deliver = (feedId: string, signal: FeedSignal) => {
    const found = listeners.get(feedId);
    if (found === undefined) return;
    if (typeof found === 'function') return call(found, signal);
    for (const listener of found) call(listener, signal);
  };
  const unsubscribe = (feedId: string, listener: FeedListener) => {
    const found = listeners.get(feedId);
    if (found === listener) listeners.delete(feedId);
    else if (typeof found === 'object' && found.delete(listener) && found.size <= 1) {
      // Down to one (or none): the feed holds that listener itself again, as it would have from the start.
      const [left] = found;
      if (left === undefined) listeners.delete(feedId);
      else listeners.set(feedId, left);
    }
  };
  return {
    deliver,
    publish(changes) {
      for (const [feedId, group] of changesByFeed(changes))
        deliver(feedId, { kind: 'CHANGES', changes: group });
    },
    announceDeviceRemoved: (feedId, deviceSubscriptionId) =>
      deliver(feedId, { kind: 'DEVICE_REMOVED', deviceSubscriptionId }),
    subscribe(feedId, listener) {
      const found = listeners.get(feedId);
      if (found === undefined) listeners.set(feedId, listener);
      else if (typeof found === 'function') listeners.set(feedId, new Set([found, listener]));
      else found.add(listener);
      // Once only: the same function may subscribe again, and a stale call must not remove that.
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        unsubscribe(feedId, listener);
      };
    },
    whenListening: () => Promise.resolve(),
    async ping() {},
    async close() {
      listeners.clear();
    },
  };
}
