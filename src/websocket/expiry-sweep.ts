/**
 * Items that expire at an instant of a clock (sockets whose token runs out, by the gateway's clock;
 * sockets that have not sent connection_init, by the monotonic clock), watched by one timer for all of
 * them instead of a timer each: an idle socket paid for a `Timeout`, a timer list of its own (every token
 * has its own delay) and two closures, about 0.5 KiB, to be closed once in hours.
 */
export interface ExpirySweep<T> {
  /** Watches `item` until `expiresAt` (ms since the epoch, by `now`); then `expire(item)` is called once. */
  add(item: T, expiresAt: number): void;
  /** Stops watching `item` (given the same `expiresAt` as to `add`); nothing if it is not watched. */
  remove(item: T, expiresAt: number): void;
  /** Items watched now. */
  readonly size: number;
}

export interface ExpirySweepOptions<T> {
  /** The clock, read on every tick: it may jump (a corrected system clock, a test's clock). */
  readonly now: () => Date;
  /** How often the clock is read while anything is watched. */
  readonly intervalMs: number;
  /** Called once for an item whose instant has come; it is no longer watched by then. Must not throw. */
  readonly expire: (item: T) => void;
}

/**
 * An {@link ExpirySweep}: items are kept in buckets of one interval by their instant, so a tick that finds
 * nothing due reads the clock and one number. An item expires on the first tick at or past its instant:
 * at most one interval late. The timer runs only while something is watched, and never keeps the process
 * alive.
 */
export function createExpirySweep<T>(options: ExpirySweepOptions<T>): ExpirySweep<T> {
  const { intervalMs } = options;
  const buckets = new Map<number, Map<T, number>>();
  let size = 0;
  // The start of the earliest bucket that may hold something: ticks before it have nothing to do.
  let earliest = Number.POSITIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const bucketOf = (expiresAt: number) => Math.floor(expiresAt / intervalMs) * intervalMs;

  function tick() {
    const now = options.now().getTime();
    if (now < earliest) return;
    const due: T[] = [];
    earliest = Number.POSITIVE_INFINITY;
    for (const [start, items] of buckets) {
      if (start <= now) {
        for (const [item, expiresAt] of items) {
          if (expiresAt > now) continue;
          items.delete(item);
          due.push(item);
        }
        if (items.size === 0) buckets.delete(start);
      }
      if (buckets.has(start)) earliest = Math.min(earliest, start);
    }
    size -= due.length;
    if (size === 0) stop();
    for (const item of due) options.expire(item);
  }

  function stop() {
    clearInterval(timer);
    timer = undefined;
  }

  return {
    add(item, expiresAt) {
      const start = bucketOf(expiresAt);
      let items = buckets.get(start);
      if (!items) {
        items = new Map();
        buckets.set(start, items);
      }
      if (items.has(item)) return;
      items.set(item, expiresAt);
      size++;
      earliest = Math.min(earliest, start);
      if (!timer) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
    },
    remove(item, expiresAt) {
      const start = bucketOf(expiresAt);
      const items = buckets.get(start);
      if (!items?.delete(item)) return;
      if (items.size === 0) buckets.delete(start);
      size--;
      if (size === 0) stop();
    },
    get size() {
      return size;
    },
  };
}
