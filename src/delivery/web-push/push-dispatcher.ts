import type { Change, ChangeKind } from '../../domain/types.js';
import { isServiceUnavailable } from '../../errors.js';
import { errorFields, type Logger } from '../../logger.js';
import type { ClaimedPush, PushOutcome, Store } from '../../store/types.js';
import { isPushedTo, pushMessageOf } from './push-message.js';
import { originOf, type PushSender } from './push-sender.js';
import { createPushTimer } from './push-timer.js';

// Web Push beside the live feed: a timer looks for changes that a WEB device with a push subscription
// would show and has not received live within TIDINGS_WEB_PUSH_DELAY, claims them in the store (so of
// all processes exactly one sends each), and sends them. Nothing here runs inside a mutation or a live
// feed: a slow or hung push service delays pushes, never posts. When the timer looks: push-timer.ts.

/**
 * The longest the timer goes without a look on one process (SQLite): a bound for what falls due without
 * this process hearing of it (a clock stepped, a claim whose outcome could not be written).
 */
export const PUSH_MAX_SLEEP_MS = 60_000;
/** The kinds of change a device may be pushed (the store narrows them further). */
const PUSHED_KINDS: ReadonlySet<ChangeKind> = new Set(['CREATED', 'REPLACED', 'FALLBACK']);

/** Pushes being sent (or waiting to retry) at once, per process: bounds sockets, timers and memory. */
export const MAX_PUSHES_IN_FLIGHT = 64;
/** Tries of one push in all (the first and its retries) before it is given up. */
export const MAX_PUSH_ATTEMPTS = 4;
/** First retry wait without a Retry-After; doubled at each retry. */
const FIRST_RETRY_MS = 1000;
/** A Retry-After longer than this gives the push up instead of holding its slot. */
const MAX_RETRY_WAIT_MS = 60_000;
/** Changes older than the delay plus this are not pushed any more (after a long stop, say). */
export const PUSH_WINDOW_MS = 3600_000;
/** Added to the longest a live process can hold a claim, for the record of its outcome to be written. */
const CLAIM_MARGIN_MS = 60_000;

/**
 * How old an unsettled claim must be for another process to take it over. A live process ends every push
 * within its attempts, each bounded by the push timeout (waiting for a socket included) and the waits
 * between them by MAX_RETRY_WAIT_MS; a claim older than that, plus a margin, belongs to a process that
 * died (kill -9, a lost machine) and would otherwise never be sent. A frozen process that wakes up after
 * its lease may push a second time: that copy replaces the first on the device (same Topic, same tag).
 */
export const pushClaimLeaseMs = (pushTimeoutMs: number): number =>
  MAX_PUSH_ATTEMPTS * pushTimeoutMs + (MAX_PUSH_ATTEMPTS - 1) * MAX_RETRY_WAIT_MS + CLAIM_MARGIN_MS;

export interface PushRoundReport {
  readonly claimed: number;
  readonly pushed: number;
  readonly gone: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface PushDispatcher {
  /** One look for due pushes; resolves once every push it claimed has ended (tests, the benchmark). */
  pushOnce(): Promise<PushRoundReport>;
  /**
   * Changes this process committed: the timer looks once their delay has passed, and every interval
   * after while others may be pending. Cheap (no store call); call it after the commit.
   */
  changed(changes: readonly Change[]): void;
  /**
   * Stops the timer, aborts the pushes in flight and waits for them. Those that had no answer yet are
   * released (their claims deleted), so another process, or this one's next start, sends them.
   */
  close(): Promise<void>;
}

export interface PushDispatcherOptions {
  readonly store: Pick<Store, 'claimDuePushes' | 'nextPushes' | 'recordPushOutcomes' | 'releasePushClaims'>;
  readonly sender: PushSender;
  readonly now: () => Date;
  readonly delayMs: number;
  /** See pushClaimLeaseMs. */
  readonly claimLeaseMs: number;
  /** The least time between looks, and the most a due push waits for one; 0: no timer. */
  readonly intervalMs: number;
  /**
   * The longest time between looks: PUSH_MAX_SLEEP_MS with one process (SQLite); the interval with
   * several (PostgreSQL), which then look every interval whatever is due.
   */
  readonly maxSleepMs: number;
  readonly logger: Logger;
  /** Told how each push ended (metrics). */
  readonly onOutcome?: (outcome: PushOutcome) => void;
}

export function createPushDispatcher(options: PushDispatcherOptions): PushDispatcher {
  const { store, sender, logger } = options;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<PushOutcome | 'STOPPED'>>();
  let claiming: Promise<unknown> = Promise.resolve();

  /** Waits `ms`, or less if the dispatcher stops. */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        stopping.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      timer.unref();
      stopping.signal.addEventListener('abort', onAbort, { once: true });
    });

  /**
   * Sends one claimed push until it ends: accepted, gone, refused, or out of attempts; STOPPED when the
   * dispatcher stopped before a push service answered it.
   */
  async function deliver(push: ClaimedPush): Promise<PushOutcome | 'STOPPED'> {
    const origin = originOf(push.subscription.endpoint);
    for (let attempt = 1; ; attempt++) {
      const now = options.now();
      if (push.change.notification.expirationDateTime <= now) return 'FAILED';
      const answer = await sender.send(
        push.subscription,
        pushMessageOf(push.change, now, push.close),
        stopping.signal,
      );
      // An answer counts even when it comes as the dispatcher stops; no answer (the request was
      // aborted, or failed as it stopped) leaves the push to be sent again.
      if (stopping.signal.aborted && answer.kind === 'retry') return 'STOPPED';
      switch (answer.kind) {
        case 'accepted':
          return 'PUSHED';
        case 'gone':
          logger.info('web push subscription gone', { origin, status: answer.status });
          return 'GONE';
        case 'rejected':
          logger.warn('web push refused', { origin, status: answer.status });
          return 'FAILED';
        case 'retry': {
          const waitMs = answer.afterMs ?? FIRST_RETRY_MS * 2 ** (attempt - 1);
          if (attempt >= MAX_PUSH_ATTEMPTS || waitMs > MAX_RETRY_WAIT_MS) {
            logger.warn('web push given up', { origin, reason: answer.reason, attempts: attempt });
            return 'FAILED';
          }
          await wait(waitMs);
          if (stopping.signal.aborted) return 'STOPPED';
        }
      }
    }
  }

  // Outcomes are written together: each write takes every outcome that ended while the one before it
  // ran (group commit), so a burst of pushes costs a few transactions, not one each.
  let pendingOutcomes: Array<{ push: ClaimedPush; outcome: PushOutcome }> = [];
  let writing: Promise<void> = Promise.resolve();
  function record(push: ClaimedPush, outcome: PushOutcome): Promise<void> {
    pendingOutcomes.push({ push, outcome });
    const written = writing.then(async () => {
      if (pendingOutcomes.length === 0) return;
      const batch = pendingOutcomes;
      pendingOutcomes = [];
      await store.recordPushOutcomes(batch, options.now());
    });
    writing = written.catch(() => {});
    return written;
  }

  /** Pushes stopped before any answer: their claims are released when the dispatcher closes. */
  const stopped: ClaimedPush[] = [];

  /** Delivers a push and records how it ended. */
  async function settle(push: ClaimedPush): Promise<PushOutcome | 'STOPPED'> {
    const outcome = isPushedTo(push.change, push.platform) ? await deliver(push) : 'SKIPPED';
    if (outcome === 'STOPPED') {
      stopped.push(push);
      return outcome;
    }
    options.onOutcome?.(outcome);
    try {
      await record(push, outcome);
    } catch (error) {
      if (!isServiceUnavailable(error)) logger.error('web push outcome not recorded', errorFields(error));
      // Its claim stays: it is taken over (sent again) once the lease runs out, and the timer's probe
      // leaves this process's own claims out, so it is told when that is.
      timer?.committed(push.claimedAt.getTime() + options.claimLeaseMs + 1);
    }
    return outcome;
  }

  /** Claims what is due (as many as free slots allow) and starts sending it; resolves with the sends. */
  async function claimRound(): Promise<Array<Promise<PushOutcome | 'STOPPED'>>> {
    const free = MAX_PUSHES_IN_FLIGHT - inFlight.size;
    if (free <= 0 || stopping.signal.aborted) return [];
    const now = options.now();
    const dueBefore = new Date(now.getTime() - options.delayMs);
    const pushes = await store.claimDuePushes({
      now,
      dueBefore,
      notBefore: new Date(dueBefore.getTime() - PUSH_WINDOW_MS),
      staleClaimsBefore: new Date(now.getTime() - options.claimLeaseMs),
      limit: free,
    });
    return pushes.map((push) => {
      const sending = settle(push);
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
      return sending;
    });
  }

  /** One claim at a time (a timer tick during a slow claim waits for it). */
  const claimOnce = () => {
    const round = claiming.then(claimRound, claimRound);
    claiming = round.catch(() => {});
    return round;
  };

  /**
   * Claims rounds back to back while each fills every free slot (a burst: thousands of devices due at
   * once), waiting for a slot to free between them; stops at a round that finds less than it could take.
   */
  async function pump(): Promise<void> {
    for (;;) {
      const free = MAX_PUSHES_IN_FLIGHT - inFlight.size;
      const started = await claimOnce();
      if (started.length === 0 || started.length < free || stopping.signal.aborted) return;
      // Sends settle on their own; with none left in flight, claim again at once.
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
  }

  // Claims made from now on are this process's own: it settles them (or releases them as it stops), so
  // the probe of what falls due next leaves them out.
  const startedAt = options.now();
  /** When the next push falls due as the store stands (see Store.nextPushes), or null. */
  async function nextDue(): Promise<number | null> {
    if (stopping.signal.aborted) return null;
    const now = options.now();
    const { firstChange, firstClaim } = await store.nextPushes({
      now,
      notBefore: new Date(now.getTime() - options.delayMs - PUSH_WINDOW_MS),
      claimedBefore: startedAt,
    });
    const times = [
      firstChange && firstChange.getTime() + options.delayMs,
      // Taken over once strictly older than the lease.
      firstClaim && firstClaim.getTime() + options.claimLeaseMs + 1,
    ].filter((time): time is number => time !== null);
    return times.length === 0 ? null : Math.min(...times);
  }

  const timer =
    options.intervalMs > 0
      ? createPushTimer({
          now: () => options.now(),
          intervalMs: options.intervalMs,
          maxSleepMs: options.maxSleepMs,
          look: pump,
          nextDue,
          onError(error) {
            if (!isServiceUnavailable(error)) logger.error('web push round failed', errorFields(error));
          },
        })
      : undefined;

  return {
    async pushOnce() {
      const outcomes = await Promise.all(await claimOnce());
      const count = (outcome: PushOutcome) => outcomes.filter((o) => o === outcome).length;
      return {
        claimed: outcomes.length,
        pushed: count('PUSHED'),
        gone: count('GONE'),
        failed: count('FAILED'),
        skipped: count('SKIPPED'),
      };
    },
    changed(changes) {
      if (!timer || !changes.some((change) => PUSHED_KINDS.has(change.kind))) return;
      timer.committed(options.now().getTime() + options.delayMs);
    },
    async close() {
      stopping.abort();
      await timer?.close();
      await claiming;
      await Promise.allSettled([...inFlight]);
      await writing;
      sender.close();
      if (stopped.length === 0) return;
      // A push the push service may have accepted just as its answer was cut off is sent again: a
      // duplicate replaces the first on the device (same Topic, same tag), where a lost one is lost.
      try {
        await store.releasePushClaims(stopped.splice(0));
      } catch (error) {
        if (!isServiceUnavailable(error)) logger.error('web push claims not released', errorFields(error));
        else logger.warn('web push claims not released: the store is unavailable', { count: stopped.length });
      }
    },
  };
}
