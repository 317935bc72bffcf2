import type { Store } from '../store/types.js';

export interface DeliveryRecorder {
  /** Notes that a device was sent every change up to `offset`. In memory only: no store query here. */
  delivered(deviceSubscriptionId: string, offset: number): void;
  /** Writes what was noted since the last flush, in one transaction for all devices. */
  flush(): Promise<void>;
  /** Flushes one last time and stops the timer. */
  close(): Promise<void>;
}

/**
 * Records deliveries behind the live path: a live feed only notes the offset it sent, and one
 * transaction per interval writes the newest offset of every device that received something.
 * So delivery tracking costs no store query per delivery; a crash loses at most one interval of
 * delivery times (never a notification, which the store already holds).
 */
export function createDeliveryRecorder(
  store: Store,
  options: { intervalMs: number; now: () => Date; onError: (error: unknown) => void },
): DeliveryRecorder {
  let pending = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      const at = options.now();
      try {
        await store.recordDeliveryMarks(
          [...batch].map(([deviceSubscriptionId, offset]) => ({ deviceSubscriptionId, offset, at })),
          'DELIVERED',
        );
      } catch (error) {
        options.onError(error);
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), options.intervalMs);
  timer.unref();

  return {
    delivered(deviceSubscriptionId, offset) {
      if ((pending.get(deviceSubscriptionId) ?? 0) < offset) pending.set(deviceSubscriptionId, offset);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
