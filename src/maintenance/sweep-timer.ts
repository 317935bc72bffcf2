export interface SweepTimer {
  /** This process committed something that falls due at `dueAt` (ms, the gateway's clock). */
  committed(dueAt: number): void;
  /** Stops the timer and waits for the pass under way, if any. */
  close(): Promise<void>;
}

export interface SweepTimerOptions {
  /** The gateway's clock: due times are in it. */
  readonly now: () => Date;
  /** The least time between two passes' starts. */
  readonly intervalMs: number;
  /** The longest sleep (an interval longer than this is still the least time between passes). */
  readonly maxSleepMs: number;
  /** One pass; resolves with when the next thing falls due as the store stands, or null for nothing. */
  readonly pass: () => Promise<Date | null>;
  /** Told why a pass failed; the next one comes an interval later. */
  readonly onError: (error: unknown) => void;
}

/**
 * When the sweeper passes: one timeout, armed for the earliest of what the last pass said falls due
 * next and what this process committed since, but no sooner than `intervalMs` after the last pass began
 * and no later than `maxSleepMs` from now. The first pass comes an interval after the start, as it did
 * when the timer was a fixed interval: whatever fell due while no process ran is swept then.
 */
export function createSweepTimer(options: SweepTimerOptions): SweepTimer {
  const { intervalMs } = options;
  const maxSleepMs = Math.max(options.maxSleepMs, intervalMs);
  const clock = () => options.now().getTime();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let lastPassAt = Number.NEGATIVE_INFINITY;
  // The pass under way, if any: closing waits for it (its question to the store included).
  let passing: Promise<void> | undefined;
  let closed = false;
  // The earliest due time this process committed since the running pass began: that pass's question to
  // the store may have been asked before the commit.
  let committedDue = Number.POSITIVE_INFINITY;

  function wakeBy(dueAt: number): void {
    if (closed) return;
    const now = clock();
    const at = Math.min(Math.max(dueAt, lastPassAt + intervalMs), now + maxSleepMs);
    if (timer && at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        passing = tick();
      },
      Math.max(0, at - now),
    );
    timer.unref();
  }

  async function tick(): Promise<void> {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    committedDue = Number.POSITIVE_INFINITY;
    lastPassAt = clock();
    let next: number;
    try {
      next = (await options.pass())?.getTime() ?? Number.POSITIVE_INFINITY;
    } catch (error) {
      options.onError(error);
      // Try again an interval later, as the fixed timer did.
      next = Number.NEGATIVE_INFINITY;
    }
    passing = undefined;
    wakeBy(Math.min(next, committedDue));
  }

  wakeBy(clock() + intervalMs);
  return {
    committed(dueAt) {
      if (passing) committedDue = Math.min(committedDue, dueAt);
      // Not sooner than the timer already set (most posts: an expiry days away): nothing to do, and no
      // clock read on the post's path.
      else if (!timer || dueAt < timerAt) wakeBy(dueAt);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await passing;
    },
  };
}
