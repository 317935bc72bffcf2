import type { Logger } from '../logger.js';

/** What `GET /readyz` answers: each dependency's state, and the names of those not ready. */
export interface Readiness {
  readonly ready: boolean;
  readonly body: {
    readonly status: 'ready' | 'unavailable';
    /** One entry per check: true when it answered in time. */
    readonly [check: string]: unknown;
    readonly notReady: readonly string[];
  };
}

export interface ReadinessOptions {
  /** Each dependency's check: resolves when it answers (e.g. the store's `ping`). */
  readonly checks: Readonly<Record<string, () => Promise<void>>>;
  /** How long one check may take: a hung dependency must not hang the probe. */
  readonly timeoutMs: number;
  /** Told when readiness changes (not on every probe, so an outage does not flood the log). */
  readonly logger: Logger;
}

/** Answers whether the gateway is ready; never rejects. */
export type ReadinessProbe = () => Promise<Readiness>;

/**
 * The readiness probe: runs every check at once, each bounded by `timeoutMs`, so it answers within
 * about that time whatever hangs. Never rejects.
 */
export function createReadinessProbe(options: ReadinessOptions): ReadinessProbe {
  let wasReady: boolean | undefined;
  return async () => {
    const names = Object.keys(options.checks);
    const outcomes = await Promise.all(
      names.map((name) =>
        withTimeout(
          Promise.resolve().then(() => options.checks[name]?.()),
          options.timeoutMs,
        ).then(
          () => null,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
      ),
    );
    const failures: Record<string, string> = {};
    const states: Record<string, boolean> = {};
    names.forEach((name, i) => {
      const failure = outcomes[i] ?? null;
      states[name] = failure === null;
      if (failure !== null) failures[name] = failure;
    });
    const notReady = Object.keys(failures);
    const ready = notReady.length === 0;
    if (ready !== wasReady) {
      if (ready) options.logger.info('ready');
      // The reasons go to the log only: they may name hosts and ports.
      else options.logger.warn('not ready', { notReady: failures });
      wasReady = ready;
    }
    return { ready, body: { status: ready ? 'ready' : 'unavailable', ...states, notReady } };
  };
}

/** Rejects if `promise` has not settled within `ms`. */
function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
