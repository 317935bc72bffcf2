import type { Change } from '../domain/types.js';

/**
 * What a feed's listeners are told:
 * - CHANGES: the changes one transaction committed to the feed, in offset order (one wake-up per
 *   transaction, not per change, so a bulk change is one message, not thousands);
 * - ADVANCED: "the log reached `offset`: read what you have not seen from the store" (a transaction too
 *   large to carry, e.g. across processes);
 * - CATCH_UP: "changes may have been missed (the transport was down): read what you have not seen";
 * - DEVICE_REMOVED: "this device subscription is gone: end its live feeds".
 */
export type FeedSignal =
  | { readonly kind: 'CHANGES'; readonly changes: readonly Change[] }
  | { readonly kind: 'ADVANCED'; readonly offset: number }
  | { readonly kind: 'CATCH_UP' }
  | { readonly kind: 'DEVICE_REMOVED'; readonly deviceSubscriptionId: string };

export type FeedListener = (signal: FeedSignal) => void;

/** Changes grouped by feed, each group in the order given. */
export function changesByFeed(changes: readonly Change[]): Map<string, Change[]> {
  const groups = new Map<string, Change[]>();
  for (const change of changes) {
    const group = groups.get(change.feedId);
    if (group) group.push(change);
    else groups.set(change.feedId, [change]);
  }
  return groups;
}

/**
 * Wakes the live feeds of a user when their feed changed. Only a wake-up: the store is the source of
 * truth, and a feed that misses a message repairs the gap from the store.
 * Topics are per feed (one user of one app), so a publish touches only that feed's listeners.
 * Every method is called after the store has committed what it announces, and never throws.
 */
export interface Fanout {
  /**
   * Announces what one transaction committed: one CHANGES wake-up per feed it changed, carrying that
   * feed's changes (in the order given, which is offset order).
   */
  publish(changes: readonly Change[]): void;
  /** Ends the live feeds of a deleted device subscription, on every process. */
  announceDeviceRemoved(feedId: string, deviceSubscriptionId: string): void;
  /** Returns the function that unsubscribes; calling it again does nothing. */
  subscribe(feedId: string, listener: FeedListener): () => void;
  /**
   * Resolves once wake-ups for the feed published from now on reach this process's listeners (after
   * `subscribe`): a feed reads the store after this, so nothing falls between what it reads and what it
   * hears. Never rejects: if the transport is down, its reconnection sends CATCH_UP.
   */
  whenListening(feedId: string): Promise<void>;
  /** Resolves when the transport can carry wake-ups (readiness); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
