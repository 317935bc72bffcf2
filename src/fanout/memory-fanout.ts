import { changesByFeed, type Fanout, type FeedListener, type FeedSignal } from './fanout.js';

export interface MemoryFanout extends Fanout {
  /** Hands a signal to a feed's listeners in this process (what a transport received). */
  deliver(feedId: string, signal: FeedSignal): void;
}

/** The fan-out of a single process: a map from feed to its listeners. */
export function createMemoryFanout(onListenerError: (error: unknown) => void): MemoryFanout {
  const listeners = new Map<string, Set<FeedListener>>();
  const deliver = (feedId: string, signal: FeedSignal) => {
    for (const listener of listeners.get(feedId) ?? []) {
      try {
        listener(signal);
      } catch (error) {
        onListenerError(error);
      }
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
      const set = listeners.get(feedId) ?? new Set();
      listeners.set(feedId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(feedId) === set) listeners.delete(feedId);
      };
    },
    whenListening: () => Promise.resolve(),
    async ping() {},
    async close() {
      listeners.clear();
    },
  };
}
