export interface GroupCommitOptions {
  /** Most requests written in one batch. */
  readonly maxBatch: number;
  /** Batches written at once. */
  readonly inFlight: number;
  /**
   * Whether a batch's error is one every request would meet alone too (e.g. the database is
   * unreachable): then the whole batch fails at once instead of being retried request by request.
   */
  readonly failsEveryRequest: (error: unknown) => boolean;
}

/**
 * Group commit: requests that arrive while batches are being written wait, and are written together in
 * the next batch, so many concurrent writes share one transaction (and one fsync) instead of queueing
 * for one each. A batch starts on the event loop's next turn (setImmediate), not at once: requests that
 * arrived on the same turn join it. Without that turn nothing would ever join on SQLite, whose driver is
 * synchronous: a request would reach the store and commit in microtasks before Node read the next
 * request's socket. Nothing else is held back to wait for company.
 *
 * `writeBatch` answers one result per request, in order. If a batch fails for a reason one of its
 * requests may have caused, each request is written again alone, so one bad request fails only itself
 * and every error is its own.
 */
export function createGroupCommit<Request, Result>(
  writeBatch: (requests: readonly Request[]) => Promise<readonly Result[]>,
  options: GroupCommitOptions,
): (request: Request) => Promise<Result> {
  interface Waiting {
    readonly request: Request;
    resolve(result: Result): void;
    reject(error: unknown): void;
  }
  const queue: Waiting[] = [];
  /** Batches being written or about to start. */
  let writers = 0;
  let starting = false;

  async function writeAlone(waiting: Waiting): Promise<void> {
    try {
      const [result] = await writeBatch([waiting.request]);
      waiting.resolve(result as Result);
    } catch (error) {
      waiting.reject(error);
    }
  }

  async function write(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return writeAlone(batch[0] as Waiting);
    try {
      const results = await writeBatch(batch.map((waiting) => waiting.request));
      for (const [i, waiting] of batch.entries()) waiting.resolve(results[i] as Result);
    } catch (error) {
      if (options.failsEveryRequest(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      for (const waiting of batch) await writeAlone(waiting);
    }
  }

  async function drain(): Promise<void> {
    starting = false;
    try {
      while (queue.length > 0) await write(queue.splice(0, options.maxBatch));
    } finally {
      writers -= 1;
    }
  }

  return (request) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      if (starting || writers >= options.inFlight) return;
      starting = true;
      writers += 1;
      setImmediate(drain);
    });
}
