import type { Change } from '../store/types.js';

/**
 * Told each committed change of the feed, or `null` when changes may have been missed (e.g. the
 * transport was down): the listener then reads what it has not seen from the store.
 */
export type ChangeListener = (change: Change | null) => void;

/**
 * Wakes the live feeds of a user when their feed changed. Only a wake-up: the store is the source of
 * truth, and a feed that misses a message repairs the gap from the store.
 * Topics are per feed (one user of one app), so a publish touches only that feed's listeners.
 */
export interface Fanout {
  /** Called after the change has committed. Never throws; a listener's failure is its own. */
  publish(change: Change): void;
  /** Returns the function that unsubscribes; calling it again does nothing. */
  subscribe(feedId: string, listener: ChangeListener): () => void;
  /** Resolves when the transport can carry wake-ups (readiness); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
