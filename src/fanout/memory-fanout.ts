import type { Change } from '../store/types.js';
import type { ChangeListener, Fanout } from './fanout.js';

export interface MemoryFanout extends Fanout {
  /** Tells a feed's listeners they may have missed changes (they read the store). */
  publishSignal(feedId: string): void;
}

/** The fan-out of a single process: a map from feed to its listeners. */
export function createMemoryFanout(onListenerError: (error: unknown) => void): MemoryFanout {
  const listeners = new Map<string, Set<ChangeListener>>();
  const emit = (feedId: string, change: Change | null) => {
    for (const listener of listeners.get(feedId) ?? []) {
      try {
        listener(change);
      } catch (error) {
        onListenerError(error);
      }
    }
  };
  return {
    publish: (change) => emit(change.feedId, change),
    publishSignal: (feedId) => emit(feedId, null),
    subscribe(feedId, listener) {
      const set = listeners.get(feedId) ?? new Set();
      listeners.set(feedId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(feedId) === set) listeners.delete(feedId);
      };
    },
    async ping() {},
    async close() {
      listeners.clear();
    },
  };
}
