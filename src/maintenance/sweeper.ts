import { BULK_EDIT_CHUNK, type FeedWriter } from '../delivery/feed-writer.js';
import { fallbackDueAt } from '../domain/fallback.js';
import type { Change } from '../domain/types.js';
import { isServiceUnavailable } from '../errors.js';
import type { NotificationEdit, Store } from '../store/types.js';
import { createSweepTimer } from './sweep-timer.js';

const EXPIRE: NotificationEdit = { kind: 'EXPIRED', set: { status: 'DELETED' } };

/**
 * The longest the sweeper sleeps, whatever the store says falls due next: what another process wrote
 * (PostgreSQL), and what no query here foresees (a tombstone waiting only for retention), is swept at
 * most this late even if the process that wrote it died. An idle gateway's sweeper wakes once a minute.
 */
export const SWEEP_MAX_SLEEP_MS = 60_000;

export interface SweepReport {
  readonly expired: number;
  readonly fallbacks: number;
  readonly purged: number;
}

export interface Sweeper {
  /** One full pass: expiry, due fallbacks, purge, each in bounded batches until nothing is left. */
  sweepOnce(): Promise<SweepReport>;
  /**
   * Changes this process committed: the timer wakes by the earliest expiry or fallback among their
   * notifications, if that is sooner than it would have. Cheap (no store call); call it after the commit.
   */
  changed(changes: readonly Change[]): void;
  close(): Promise<void>;
}

export interface SweeperOptions {
  /** Expiry and fallbacks change feeds: through the feed writer, so devices hear of them. */
  readonly feeds: Pick<FeedWriter, 'editNotifications' | 'runDueFallbacks'>;
  readonly store: Pick<Store, 'sweepIsDue' | 'nextSweepDue' | 'findExpiredNotifications' | 'purge'>;
  readonly now: () => Date;
  /** How long log entries, delivery marks and tombstones are kept; cursors older than that resync. */
  readonly retentionMs: number;
  /**
   * The least time between two timed passes (`TIDINGS_SWEEP_INTERVAL_MS`), so something due is swept at
   * most this late after it falls due (or after the previous pass); 0 runs no timer (tests call sweepOnce
   * with a controlled clock).
   */
  readonly intervalMs: number;
  /** The longest sleep between timed passes: SWEEP_MAX_SLEEP_MS unless a test says otherwise. */
  readonly maxSleepMs?: number;
  /** Rows per batch: bounds each transaction and the memory of each step. */
  readonly batchSize: number;
  /**
   * Told why a timed pass failed; not told SERVICE_UNAVAILABLE (the store unreachable), which the
   * store's outage log reports once per outage: the next pass, an interval later, picks up where this
   * one stopped.
   */
  readonly onError: (error: unknown) => void;
}

/**
 * Expires notifications (an EXPIRED change each), sends due endpoint fallbacks (a FALLBACK change each),
 * and purges what retention no longer keeps. Changes reach devices through the feed writer, as a
 * mutation's do; expiry commits (and publishes) a feed's notifications BULK_EDIT_CHUNK at a time, as a
 * bulk change does.
 */
export function createSweeper(options: SweeperOptions): Sweeper {
  const { feeds, store, batchSize } = options;
  let running: Promise<SweepReport> | undefined;

  /** Runs a bounded step until it does less than a full batch. */
  async function drain(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await step();
      total += done;
      if (done < batchSize) return total;
    }
  }

  /** Expires up to a batch of due notifications, a chunk of one feed per transaction. */
  async function expire(now: Date): Promise<number> {
    const due = await store.findExpiredNotifications(now, batchSize);
    const byFeed = new Map<string, string[]>();
    for (const { id, feedId } of due) byFeed.set(feedId, [...(byFeed.get(feedId) ?? []), id]);
    let expired = 0;
    for (const [feedId, ids] of byFeed) {
      for (let start = 0; start < ids.length; start += BULK_EDIT_CHUNK) {
        const changes = await feeds.editNotifications(
          feedId,
          { ids: ids.slice(start, start + BULK_EDIT_CHUNK), status: 'ACTIVE' },
          // Checked again inside the transaction: a replacement may have extended it meanwhile.
          (n) => (n.expirationDateTime <= now ? EXPIRE : null),
          now,
        );
        expired += changes.length;
      }
    }
    return expired;
  }

  async function pass(): Promise<SweepReport> {
    const now = options.now();
    const cutoff = new Date(now.getTime() - options.retentionMs);
    // Most passes find nothing: one query says so, instead of every search below.
    if (!(await store.sweepIsDue(now, cutoff))) return { expired: 0, fallbacks: 0, purged: 0 };
    const expired = await drain(() => expire(now));
    const fallbacks = await drain(async () => (await feeds.runDueFallbacks(now, batchSize)).length);
    const purged = await drain(() => store.purge(now, cutoff, batchSize));
    return { expired, fallbacks, purged };
  }

  // One pass at a time: a timed pass during a test's sweepOnce waits for it instead of racing it.
  const sweepOnce = (): Promise<SweepReport> => {
    running = (running ?? Promise.resolve({ expired: 0, fallbacks: 0, purged: 0 })).then(pass, pass);
    return running;
  };
  const timer =
    options.intervalMs > 0
      ? createSweepTimer({
          now: options.now,
          intervalMs: options.intervalMs,
          maxSleepMs: options.maxSleepMs ?? SWEEP_MAX_SLEEP_MS,
          // A timed pass, then the store's answer to when the next thing falls due.
          async pass() {
            await sweepOnce();
            return store.nextSweepDue(options.retentionMs, options.now());
          },
          onError(error) {
            if (!isServiceUnavailable(error)) options.onError(error);
          },
        })
      : undefined;

  return {
    sweepOnce,
    changed(changes) {
      if (!timer) return;
      for (const { kind, notification } of changes) {
        // A FALLBACK change is its fallback sent: nothing of it falls due again.
        if (notification.status !== 'ACTIVE' || kind === 'FALLBACK') continue;
        timer.committed(notification.expirationDateTime.getTime());
        // A fallback's clock starts when its content was posted or replaced (its last modification); an
        // earlier guess only costs a pass that finds nothing.
        const fallback = fallbackDueAt(notification, notification.lastModifiedDateTime);
        if (fallback) timer.committed(fallback.getTime());
      }
    },
    async close() {
      await timer?.close();
      await running?.catch(() => {});
    },
  };
}
