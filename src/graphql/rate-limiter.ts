import { ErrorCode, GatewayError } from '../errors.js';

export interface RateLimiter {
  /**
   * Takes one unit for `key` (e.g. an app id).
   * @throws GatewayError RATE_LIMITED, with `retryAfterSeconds`, when the key has none left.
   */
  take(key: string): void;
}

// Takes between two sweeps of the buckets that have filled up again.
const PRUNE_EVERY = 1024;

/**
 * A token bucket per key: `perSecond` sustained, up to `burst` at once. In memory, so per process: with
 * N processes behind a balancer an app gets up to N times the rate (the limit protects each process).
 * A bucket that has filled up again is forgotten (it is what a new one would be), so memory follows the
 * keys active lately, not every user ever seen.
 */
export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  now: () => number;
}): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  let untilPrune = PRUNE_EVERY;
  function prune(now: number) {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond >= options.burst)
        buckets.delete(key);
    }
  }
  return {
    take(key) {
      const now = options.now();
      if (--untilPrune <= 0) {
        untilPrune = PRUNE_EVERY;
        prune(now);
      }
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) {
        const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
        throw new GatewayError(
          ErrorCode.RateLimited,
          `Too many mutations; retry in ${retryAfterSeconds} s.`,
          {
            details: { retryAfterSeconds },
          },
        );
      }
      bucket.tokens -= 1;
    },
  };
}
