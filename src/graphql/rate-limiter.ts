import { ErrorCode, GatewayError } from '../errors.js';

export interface RateLimiter {
  /**
   * Takes one unit for `key` (e.g. an app id).
   * @throws GatewayError RATE_LIMITED, with `retryAfterSeconds`, when the key has none left.
   */
  take(key: string): void;
}

/**
 * A token bucket per key: `perSecond` sustained, up to `burst` at once. In memory, so per process: with
 * N processes behind a balancer an app gets up to N times the rate (the limit protects each process).
 */
export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  now: () => number;
}): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = options.now();
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
