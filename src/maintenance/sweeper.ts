import { BULK_EDIT_CHUNK, type FeedWriter } from '../delivery/feed-writer.js';
import { isServiceUnavailable } from '../errors.js';
import type { NotificationEdit, Store } from '../store/types.js';

const EXPIRE: NotificationEdit = { kind: 'EXPIRED', set: { status: 'DELETED' } };

export interface SweepReport {
  readonly expired: number;
  readonly fallbacks: number;
  readonly purged: number;
}

export interface Sweeper {
  /** One full pass: expiry, due fallbacks, purge, each in bounded batches until nothing is left. */
  sweepOnce(): Promise<SweepReport>;
  close(): Promise<void>;
}

export interface SweeperOptions {
  /** Expiry and fallbacks change feeds: through the feed writer, so devices hear of them. */
  readonly feeds: Pick<FeedWriter, 'editNotifications' | 'runDueFallbacks'>;
  readonly store: Pick<Store, 'sweepIsDue' | 'findExpiredNotifications' | 'purge'>;
  readonly now: () => Date;
  /** How long log entries, delivery marks and tombstones are kept; cursors older than that resync. */
  readonly retentionMs: number;
  /** Time between passes; 0 runs no timer (tests call sweepOnce with a controlled clock). */
  readonly intervalMs: number;
  /** Rows per batch: bounds each transaction and the memory of each step. */
  readonly batchSize: number;
  /**
   * Told why a timed pass failed; not told SERVICE_UNAVAILABLE (the store unreachable), which the
   * store's outage log reports once per outage: the next pass picks up where this one stopped.
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

  // One pass at a time: a timer tick during a long pass waits for it instead of racing it.
  const sweepOnce = (): Promise<SweepReport> => {
    running = (running ?? Promise.resolve({ expired: 0, fallbacks: 0, purged: 0 })).then(pass, pass);
    return running;
  };
  const timer =
    options.intervalMs > 0
      ? setInterval(
          () =>
            sweepOnce().catch((error: unknown) => {
              if (!isServiceUnavailable(error)) options.onError(error);
            }),
          options.intervalMs,
        )
      : undefined;
  timer?.unref();

  return {
    sweepOnce,
    async close() {
      if (timer) clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
