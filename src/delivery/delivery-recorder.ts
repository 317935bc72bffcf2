import { setImmediate as nextTurn } from 'node:timers/promises';
import { isServiceUnavailable } from '../errors.js';
import type { Store } from '../store/types.js';

/** Delivery marks written per transaction (a device's mark is one row). */
export const MARKS_PER_WRITE = 100;

interface Mark {
  readonly deviceSubscriptionId: string;
  readonly fromOffset: number;
  offset: number;
}

export interface DeliveryRecorder {
  /** Notes that a device was sent every change in (from, to]. In memory only: no store query here. */
  delivered(deviceSubscriptionId: string, from: number, to: number): void;
  /**
   * `delivered` for one device, as a function that a live feed calls per frame: it keeps the device's
   * pending mark at hand, so a frame costs no key or map lookup (the same marks as `delivered`).
   */
  deviceRecorder(deviceSubscriptionId: string): (from: number, to: number) => void;
  /** Writes what was noted since the last flush, in one transaction for all devices. */
  flush(): Promise<void>;
  /** Flushes one last time and stops the timer. */
  close(): Promise<void>;
}

/**
 * Records deliveries behind the live path: a live feed only notes the offset it sent, and one
 * transaction per interval writes the newest offset of every device that received something.
 * So delivery tracking costs no store query per delivery; a crash loses at most one interval of
 * delivery times (never a notification, which the store already holds), and so does each flush that
 * meets a store outage: that is the store's outage log's to report (once), not `onError`'s (per flush).
 */
export function createDeliveryRecorder(
  store: Pick<Store, 'recordDeliveryMarks'>,
  options: { intervalMs: number; now: () => Date; onError: (error: unknown) => void },
): DeliveryRecorder {
  // Per device and stretch start, the newest offset sent.
  let pending = new Map<string, Mark>();
  let flushing: Promise<void> = Promise.resolve();
  // Armed by the first mark noted after a flush took the batch, so no mark waits longer than an interval
  // and a gateway that delivers nothing is not woken every interval for an empty flush.
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const arm = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, options.intervalMs);
    timer.unref();
  };

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      if (pending.size === 0) return;
      // The marks taken now are written now: the next mark arms the timer again.
      clearTimeout(timer);
      timer = undefined;
      const batch = pending;
      pending = new Map();
      const at = options.now();
      const marks = [...batch.values()].map((mark) => ({ ...mark, at }));
      try {
        // A bounded transaction at a time, the event loop served between them: a flush after a burst
        // to many devices must not hold the loop (or SQLite's one writer) for its whole length.
        for (let start = 0; start < marks.length; start += MARKS_PER_WRITE) {
          if (start > 0) await nextTurn();
          await store.recordDeliveryMarks(marks.slice(start, start + MARKS_PER_WRITE), 'DELIVERED');
        }
      } catch (error) {
        if (!isServiceUnavailable(error)) options.onError(error);
      }
    });
    return flushing;
  };
  const delivered = (deviceSubscriptionId: string, fromOffset: number, offset: number): Mark => {
    const key = `${deviceSubscriptionId} ${fromOffset}`;
    let mark = pending.get(key);
    if (mark) mark.offset = Math.max(mark.offset, offset);
    else {
      mark = { deviceSubscriptionId, fromOffset, offset };
      pending.set(key, mark);
      arm();
    }
    return mark;
  };

  return {
    delivered,
    deviceRecorder(deviceSubscriptionId) {
      // The mark last written, and the batch it is in: valid until a flush takes that batch.
      let mark: Mark | undefined;
      let batch: Map<string, Mark> | undefined;
      return (fromOffset, offset) => {
        if (mark !== undefined && batch === pending && mark.fromOffset === fromOffset) {
          mark.offset = Math.max(mark.offset, offset);
          return;
        }
        mark = delivered(deviceSubscriptionId, fromOffset, offset);
        batch = pending;
      };
    },
    flush,
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}
