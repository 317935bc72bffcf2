import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * The event-loop lag figures prom-client's default metrics serve (`<prefix>nodejs_eventloop_lag_*`), with
 * the same names, help and meaning, but sampled only while the gateway has work: Node's delay monitor
 * wakes the process every `resolutionMs` (10 a second at 100 ms), which alone was 0.14 % of a CPU on an
 * idle gateway (issue 14). It samples from a call of `busy()` until `quietMs` have passed with no other
 * call and `hasWork()` (e.g. an open WebSocket) answers false.
 *
 * What a scrape reads: `nodejs_eventloop_lag_seconds` is the lag measured when scraped (as prom-client's:
 * set one turn of the loop after the scrape, so a scrape shows the previous one's), whether sampling or
 * not. The others summarise the samples taken since the previous scrape: the interval between samples,
 * `resolutionMs` when the loop is free. With no sample since then (idle all along), min, max, mean and
 * the percentiles read `resolutionMs` and stddev 0: what an idle sampled loop reads, never NaN, never a
 * figure from before the previous scrape. Where sampling stopped and started again between two scrapes,
 * min, max, mean and stddev cover both windows exactly, and each percentile is the higher of the two
 * windows' (it may overstate, never hide, a stall).
 */
export interface EventLoopLag {
  /** Work happened: sample (starting now if stopped) until `quietMs` pass without another call. */
  busy(): void;
  /** Asked when `quietMs` have passed since the last `busy()`: true keeps sampling for as long again. */
  whileWork(hasWork: () => boolean): void;
  /** Whether the monitor is sampling now. */
  readonly sampling: boolean;
  /** Stops sampling for good (the gauges stay registered). */
  close(): void;
}

/** Figures of one window of samples, in nanoseconds (the histogram's unit). */
interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export function registerEventLoopLag(options: {
  readonly registry: Registry;
  readonly prefix: string;
  readonly resolutionMs: number;
  readonly quietMs: number;
}): EventLoopLag {
  const { registry, prefix, resolutionMs, quietMs } = options;
  const registers = [registry];
  let histogram: IntervalHistogram | undefined;
  let hasWork: () => boolean = () => false;
  let lastBusy = 0;
  let quietCheck: NodeJS.Timeout | undefined;
  let closed = false;
  // Windows that stopped since the last scrape, merged: a restarted histogram must start empty (Node
  // counts the time it was off as one long delay otherwise).
  let stopped: Summary | undefined;

  const summaryOf = (h: IntervalHistogram): Summary | undefined =>
    h.count === 0
      ? undefined
      : {
          count: h.count,
          min: h.min,
          max: h.max,
          mean: h.mean,
          stddev: h.stddev,
          p50: h.percentile(50),
          p90: h.percentile(90),
          p99: h.percentile(99),
        };

  function stop(): void {
    clearTimeout(quietCheck);
    quietCheck = undefined;
    if (!histogram) return;
    histogram.disable();
    stopped = merge(stopped, summaryOf(histogram));
    histogram = undefined;
  }

  function checkQuiet(): void {
    const quietFor = performance.now() - lastBusy;
    if (quietFor < quietMs || hasWork()) {
      quietCheck = setTimeout(checkQuiet, quietFor < quietMs ? quietMs - quietFor : quietMs);
      quietCheck.unref();
    } else stop();
  }

  // Set by the first gauge's collect, as prom-client does: the others are read in the same scrape.
  const lag = new Gauge({
    name: `${prefix}nodejs_eventloop_lag_seconds`,
    help: 'Lag of event loop in seconds.',
    registers,
    aggregator: 'average',
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
      const window = merge(stopped, histogram && summaryOf(histogram));
      stopped = undefined;
      histogram?.reset();
      const idle = resolutionMs * 1e6;
      const seconds = (ns: number) => ns / 1e9;
      lagMin.set(seconds(window?.min ?? idle));
      lagMax.set(seconds(window?.max ?? idle));
      lagMean.set(seconds(window?.mean ?? idle));
      lagStddev.set(seconds(window?.stddev ?? 0));
      lagP50.set(seconds(window?.p50 ?? idle));
      lagP90.set(seconds(window?.p90 ?? idle));
      lagP99.set(seconds(window?.p99 ?? idle));
    },
  });
  const gauge = (suffix: string, help: string, aggregator: 'min' | 'max' | 'average') =>
    new Gauge({ name: `${prefix}nodejs_eventloop_lag_${suffix}_seconds`, help, registers, aggregator });
  const lagMin = gauge('min', 'The minimum recorded event loop delay.', 'min');
  const lagMax = gauge('max', 'The maximum recorded event loop delay.', 'max');
  const lagMean = gauge('mean', 'The mean of the recorded event loop delays.', 'average');
  const lagStddev = gauge('stddev', 'The standard deviation of the recorded event loop delays.', 'average');
  const lagP50 = gauge('p50', 'The 50th percentile of the recorded event loop delays.', 'average');
  const lagP90 = gauge('p90', 'The 90th percentile of the recorded event loop delays.', 'average');
  const lagP99 = gauge('p99', 'The 99th percentile of the recorded event loop delays.', 'average');

  return {
    busy() {
      lastBusy = performance.now();
      if (histogram || closed) return;
      histogram = monitorEventLoopDelay({ resolution: resolutionMs });
      histogram.enable();
      quietCheck = setTimeout(checkQuiet, quietMs);
      quietCheck.unref();
    },
    whileWork(check) {
      hasWork = check;
    },
    get sampling() {
      return histogram !== undefined;
    },
    close() {
      closed = true;
      stop();
    },
  };
}

/** Two windows' figures as one: exact but for the percentiles, which take the higher of the two. */
function merge(a: Summary | undefined, b: Summary | undefined): Summary | undefined {
  if (!a || !b) return a ?? b;
  const count = a.count + b.count;
  const mean = (a.mean * a.count + b.mean * b.count) / count;
  // Sums of squares from each window's mean and (population) standard deviation.
  const squares = (s: Summary) => s.count * (s.stddev ** 2 + s.mean ** 2);
  const variance = Math.max(0, (squares(a) + squares(b)) / count - mean ** 2);
  return {
    count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    mean,
    stddev: Math.sqrt(variance),
    p50: Math.max(a.p50, b.p50),
    p90: Math.max(a.p90, b.p90),
    p99: Math.max(a.p99, b.p99),
  };
}
