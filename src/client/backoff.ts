/** Waits `retries`-dependent time before a reconnect or a retried request; graphql-ws's `retryWait`. */
export type RetryWait = (retries: number) => Promise<void>;

/**
 * Exponential backoff with jitter: 0.5–1 s, 1–2 s, 2–4 s … up to 15–30 s. The jitter spreads the
 * reconnects of many devices after a gateway restart, so they do not all arrive in the same instant.
 */
export const exponentialBackoff: RetryWait = (retries) => {
  const ceiling = Math.min(30_000, 1000 * 2 ** retries);
  return new Promise((resolve) => setTimeout(resolve, ceiling * (0.5 + Math.random() / 2)));
};
