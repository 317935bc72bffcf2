import type { FeedWriter } from '../delivery/feed-writer.js';
import { isServiceUnavailable } from '../errors.js';
import type { Store } from '../store/types.js';

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
  readonly feeds: Pick<FeedWriter, 'expireNotifications' | 'runDueFallbacks'>;
  readonly store: Pick<Store, 'purge'>;
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
 * mutation's do.
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

  async function pass(): Promise<SweepReport> {
    const now = options.now();
    const expired = await drain(async () => (await feeds.expireNotifications(now, batchSize)).length);
    const fallbacks = await drain(async () => (await feeds.runDueFallbacks(now, batchSize)).length);
    const cutoff = new Date(now.getTime() - options.retentionMs);
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
