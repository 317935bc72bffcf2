export interface PushTimer {
  /** This process committed a change that may be pushed from `dueAt` on (ms, the gateway's clock). */
  committed(dueAt: number): void;
  /** Stops the timer and waits for the look under way, if any. */
  close(): Promise<void>;
}

export interface PushTimerOptions {
  /** The gateway's clock: due times are in it. */
  readonly now: () => Date;
  /** The least time between two looks' starts, and the most a push waits past its due time. */
  readonly intervalMs: number;
  /**
   * The longest time between two looks. At most `intervalMs`: a look every interval (several processes
   * on PostgreSQL, where another's changes and claims fall due without this one hearing of them).
   */
  readonly maxSleepMs: number;
  /** One look: claims what is due and starts sending it. */
  readonly look: () => Promise<void>;
  /** When the next push falls due as the store stands (ms), or null for nothing; asked after a look. */
  readonly nextDue: () => Promise<number | null>;
  /** Told why a look failed; the next one comes an interval later. */
  readonly onError: (error: unknown) => void;
}

/**
 * When Web Push looks for due pushes. While a change this process committed may still fall due, it
 * looks every interval from that change's due time on (as a fixed timer did: a second change committed
 * soon after the first is pushed at most an interval late). Otherwise it asks the store when the next
 * push falls due (a change committed before this process started, a claim of a process that died) and
 * sleeps until then, at most `maxSleepMs`: an idle gateway makes one look and one probe a minute, not a
 * claim query every second.
 *
 * While its own change is pending it wakes every interval to read the clock (no store call), so a clock
 * moved forward (tests) or stepped is seen within an interval; other sleeps are timeouts to the due time.
 * The first look comes an interval after the start, as it did with a fixed timer.
 */
export function createPushTimer(options: PushTimerOptions): PushTimer {
  const { intervalMs } = options;
  const maxSleepMs = Math.max(options.maxSleepMs, intervalMs);
  const clock = () => options.now().getTime();
  let timer: NodeJS.Timeout | undefined;
  // Whether the timer is armed to read the clock every interval (a change of this process is pending).
  let ticking = false;
  let closed = false;
  // The look under way, if any (its probe included): closing waits for it.
  let looking: Promise<void> | undefined;
  // When the last look began, by the gateway's clock and by the monotonic one (a test's clock may stand
  // still: a look planned some time after the last one comes when that much real time has passed too).
  let lastLookAt = clock();
  let lastLookReal = performance.now();
  // When the next look is due (gateway clock); the first an interval after the start.
  let nextLookAt = lastLookAt + intervalMs;
  // The latest due time of a change this process committed: until a look has begun after it, a push of
  // it may still be unsent.
  let pendingUntil = Number.NEGATIVE_INFINITY;
  // The earliest due time committed while a look ran (its queries may have been asked before the commit).
  let committedWhileLooking = Number.POSITIVE_INFINITY;

  function arm(): void {
    if (closed || looking) return;
    clearTimeout(timer);
    ticking = pendingUntil > lastLookAt;
    const wait = Math.max(0, nextLookAt - clock());
    timer = setTimeout(tick, Math.min(wait, ticking ? intervalMs : maxSleepMs));
    timer.unref();
  }

  function tick(): void {
    timer = undefined;
    const now = clock();
    // Due by the gateway's clock, or by real time (a test's clock that stands still).
    if (now < nextLookAt && performance.now() - lastLookReal < nextLookAt - lastLookAt) {
      arm();
      return;
    }
    looking = look(now);
  }

  async function look(startedAt: number): Promise<void> {
    lastLookAt = startedAt;
    lastLookReal = performance.now();
    committedWhileLooking = Number.POSITIVE_INFINITY;
    try {
      await options.look();
      if (pendingUntil > startedAt) {
        // A change of this process falls due later, and others may lie between: look every interval.
        nextLookAt = startedAt + intervalMs;
      } else {
        const due = maxSleepMs > intervalMs ? await options.nextDue() : null;
        nextLookAt = Math.min(due ?? Number.POSITIVE_INFINITY, startedAt + maxSleepMs);
      }
    } catch (error) {
      options.onError(error);
      nextLookAt = startedAt;
    }
    nextLookAt = Math.max(Math.min(nextLookAt, committedWhileLooking), startedAt + intervalMs);
    looking = undefined;
    arm();
  }

  arm();
  return {
    committed(dueAt) {
      if (closed) return;
      pendingUntil = Math.max(pendingUntil, dueAt);
      if (looking) {
        committedWhileLooking = Math.min(committedWhileLooking, dueAt);
        return;
      }
      // Most posts under load: the timer ticks already, towards a look no later than this one's due
      // time. Nothing to do, and no timer to move on the post's path.
      if (ticking && dueAt >= nextLookAt) return;
      // A sleeping timer starts ticking every interval, to see the clock reach the change's due time.
      const lookAt = Math.min(nextLookAt, Math.max(dueAt, lastLookAt + intervalMs));
      // Ticking already towards that look (an interval longer than the delay): nothing to move.
      if (ticking && lookAt === nextLookAt) return;
      nextLookAt = lookAt;
      arm();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await looking;
    },
  };
}
