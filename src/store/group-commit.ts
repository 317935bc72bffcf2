/**
 * Group commit: requests that arrive while a batch is being written wait, and are written together in
 * the next batch, so many concurrent writes share one transaction (and one fsync) instead of queueing
 * for one each. Alone, a request is written at once: nothing is held back to wait for company.
 *
 * `writeBatch` answers one result per request, in order. If the batch fails as a whole, each of its
 * requests is written again alone, so one bad request fails only itself and every error is its own.
 */
export function createGroupCommit<Request, Result>(
  writeBatch: (requests: readonly Request[]) => Promise<readonly Result[]>,
  maxBatch: number,
): (request: Request) => Promise<Result> {
  interface Waiting {
    readonly request: Request;
    resolve(result: Result): void;
    reject(error: unknown): void;
  }
  const queue: Waiting[] = [];
  let writing = false;

  async function writeAlone(waiting: Waiting): Promise<void> {
    try {
      const [result] = await writeBatch([waiting.request]);
      waiting.resolve(result as Result);
    } catch (error) {
      waiting.reject(error);
    }
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      if (batch.length === 1) {
        await writeAlone(batch[0] as Waiting);
        continue;
      }
      try {
        const results = await writeBatch(batch.map((waiting) => waiting.request));
        batch.forEach((waiting, i) => waiting.resolve(results[i] as Result));
      } catch {
        for (const waiting of batch) await writeAlone(waiting);
      }
    }
    writing = false;
  }

  return (request) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      if (!writing) void drain();
    });
}
