import type { Logger } from './logger.js';

export interface OutageLogOptions {
  readonly logger: Logger;
  /** What goes out, as the lines name it in their `outage` field: `store`, `redis`. */
  readonly dependency: string;
  /** The field of the closing line that counts what the outage cost, e.g. `publishesDropped`. */
  readonly countedAs: string;
  /** Milliseconds; `Date.now` unless a test controls time. */
  readonly now?: () => number;
}

export interface OutageLog {
  /**
   * Something failed because the dependency cannot be reached. The first failure of an outage writes
   * one `warn` line (the error's message, no stack); the others are only counted. `affected`: what this
   * failure cost (1 by default; 0 for e.g. a failed reconnection attempt). `startedAt`: when the failed
   * attempt began; one that began before the last recovery says nothing new and is ignored (a request
   * that was stuck through the outage, failing after it).
   */
  failed(error: unknown, options?: { readonly affected?: number; readonly startedAt?: number }): void;
  /** The dependency answered: ends the outage under way, if any, with one `info` line and the count. */
  succeeded(): void;
  /** Whether an outage is under way (a failure seen, no success since). */
  readonly active: boolean;
}

/**
 * Logs an outage of something outside the process (the database, Redis) once when it starts (`warn`)
 * and once when it ends (`info`, with how long it lasted and what it cost), however many operations
 * fail meanwhile: a flood of identical error lines hides what happened and costs disk when it matters.
 * Lines carry `outage: <dependency>` and `state: 'started' | 'ended'`, for alerting. Never throws.
 */
export function createOutageLog(options: OutageLogOptions): OutageLog {
  const now = options.now ?? Date.now;
  const { logger, dependency, countedAs } = options;
  let startedAt: number | undefined;
  let endedAt = Number.NEGATIVE_INFINITY;
  let count = 0;
  return {
    failed(error, { affected = 1, startedAt: attemptStartedAt } = {}) {
      if (startedAt === undefined) {
        if (attemptStartedAt !== undefined && attemptStartedAt < endedAt) return;
        startedAt = now();
        count = 0;
        logger.warn(`${dependency} unreachable`, {
          outage: dependency,
          state: 'started',
          error: error instanceof Error ? error.message : String(error),
        });
      }
      count += affected;
    },
    succeeded() {
      if (startedAt === undefined) return;
      endedAt = now();
      logger.info(`${dependency} reachable again`, {
        outage: dependency,
        state: 'ended',
        durationMs: endedAt - startedAt,
        [countedAs]: count,
      });
      startedAt = undefined;
    },
    get active() {
      return startedAt !== undefined;
    },
  };
}
