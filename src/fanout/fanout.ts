import type { Change } from '../store/types.js';

export type ChangeListener = (change: Change) => void;

/**
 * Wakes the live feeds of a user when their feed changed. Only a wake-up: the store is the source of
 * truth, and a feed that misses a message repairs the gap from the store.
 * Topics are per feed (one user of one app), so a publish touches only that feed's listeners.
 */
export interface Fanout {
  /** Called after the change has committed. Never throws; a listener's failure is its own. */
  publish(change: Change): void;
  /** Returns the function that unsubscribes. */
  subscribe(feedId: string, listener: ChangeListener): () => void;
  close(): Promise<void>;
}
