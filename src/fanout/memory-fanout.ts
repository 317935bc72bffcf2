import type { ChangeListener, Fanout } from './fanout.js';

/** The fan-out of a single process: a map from feed to its listeners. */
export function createMemoryFanout(onListenerError: (error: unknown) => void): Fanout {
  const listeners = new Map<string, Set<ChangeListener>>();
  return {
    publish(change) {
      for (const listener of listeners.get(change.feedId) ?? []) {
        try {
          listener(change);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(feedId, listener) {
      const set = listeners.get(feedId) ?? new Set();
      listeners.set(feedId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(feedId) === set) listeners.delete(feedId);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
