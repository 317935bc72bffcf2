import { isServiceUnavailable } from '../errors.js';
import type { Fanout } from '../fanout/fanout.js';
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
  readonly store: Store;
  readonly fanout: Fanout;
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
 * and purges what retention no longer keeps. Changes are published after they commit, like a mutation's.
 */
export function createSweeper(options: SweeperOptions): Sweeper {
  const { store, fanout, batchSize } = options;
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
    const publishAll = (changes: readonly Parameters<Fanout['publish']>[0][]) => {
      for (const change of changes) fanout.publish(change);
      return changes.length;
    };
    const expired = await drain(async () => publishAll(await store.expireNotifications(now, batchSize)));
    const fallbacks = await drain(async () => publishAll(await store.runDueFallbacks(now, batchSize)));
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
