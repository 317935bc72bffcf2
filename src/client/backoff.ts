/**
 * Waits `retries`-dependent time before a reconnect or a retried request; graphql-ws's `retryWait`.
 * `signal` aborts when the client is closed: the wait should then end at once (the client does not
 * wait for one that ignores it, but its timer keeps running until it ends).
 */
export type RetryWait = (retries: number, signal?: AbortSignal) => Promise<void>;

/**
 * Exponential backoff with jitter: 0.5–1 s, 1–2 s, 2–4 s … up to 15–30 s. The jitter spreads the
 * reconnects of many devices after a gateway restart, so they do not all arrive in the same instant.
 * Ends at once, its timer cleared, when `signal` aborts.
 */
export const exponentialBackoff: RetryWait = (retries, signal) => {
  const ceiling = Math.min(30_000, 1000 * 2 ** retries);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ceiling * (0.5 + Math.random() / 2));
    signal?.addEventListener('abort', done, { once: true });
  });
};

/** `wait(retries, signal)`, ended as soon as `signal` aborts even if `wait` ignores it. */
export function waitUnlessAborted(wait: RetryWait, retries: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([wait(retries, signal), aborted]).finally(() =>
    signal.removeEventListener('abort', onAbort),
  );
}
