import { createRequire } from 'node:module';
import { Counter, collectDefaultMetrics, Gauge, type Histogram, Registry } from 'prom-client';
import type { Change } from '../domain/types.js';
import type { PushOutcome, Store } from '../store/types.js';
import { type EventLoopLag, registerEventLoopLag } from './event-loop-lag.js';

export type Transport = 'http' | 'ws';

/**
 * What a live feed reports, once per frame or per store read. Plain additions: no allocation and no
 * label lookup, so the per-device path pays nothing measurable (prom-client's own `inc`/`observe`
 * allocate per call); the totals are handed to prom-client when /metrics is scraped.
 */
export interface FeedMetrics {
  /** A frame was written to a socket: a change (live or replayed) or a RESYNC. */
  sent(event: { readonly type: 'change' | 'resync' }): void;
  /** A live change's frame was written to a socket: its lag from the change's own timestamp. */
  liveChangeSent(change: Change): void;
  /** A live feed read `count` changes from the store (a replay, a gap repair, a catch-up; 0 counts nothing). */
  readFromStore(count: number): void;
}

/** What `GET /metrics` serves (Prometheus text format), and the counters the gateway feeds. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts every store operation by name, and the notifications posts create or replace. */
  countStoreCalls(store: Store): Store;
  /** Reports a value read only when scraped (nothing to do on the hot path). */
  gaugeOf(name: string, help: string, read: () => number): void;
  /** Counts a GraphQL error answered to a client, by its `extensions.code`. */
  errorAnswered(transport: Transport, code: unknown): void;
  /**
   * Counts a GraphQL request over HTTP by what answered it: `known` (a known document, without Apollo's
   * pipeline: known-operations.ts) or `apollo`.
   */
  graphqlOverHttp(pipeline: 'known' | 'apollo'): void;
  /** Counts a Web Push that ended: PUSHED, GONE, FAILED or SKIPPED. */
  webPushEnded(outcome: PushOutcome): void;
  readonly feeds: FeedMetrics;
  /** The event-loop lag monitor: tell it of work (`busy`), so that it samples only while there is some. */
  readonly eventLoop: EventLoopLag;
  /** Stops the event-loop monitor. */
  close(): void;
}

const PREFIX = 'tidings_';
/**
 * The event-loop monitor's resolution: prom-client's default of 10 ms alone kept an idle gateway at 0.4 %
 * of a CPU. A stall of the loop still delays the next sample, so the lag figures still show it.
 */
const EVENT_LOOP_RESOLUTION_MS = 100;
/** The monitor samples until this long after the last work (request, socket, commit): see README Metrics. */
export const EVENT_LOOP_QUIET_MS = 30_000;

// Fan-out lag buckets, seconds: from a millisecond (one process, idle) to ten seconds (a backlog).
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Error codes are ours or GraphQL's (a small set); anything else is one label value, so a label
// can never grow without bound.
const ERROR_CODE = /^[A-Z][A-Z_]{0,39}$/;

export function createMetrics(): Metrics {
  const registry = new Registry();
  registerDefaultMetricsButEventLoopLag(registry);
  const eventLoop = registerEventLoopLag({
    registry,
    prefix: PREFIX,
    resolutionMs: EVENT_LOOP_RESOLUTION_MS,
    quietMs: EVENT_LOOP_QUIET_MS,
  });
  const registers = [registry];
  // Every request counts store calls (a post: its app twice, the post, its outcome): plain additions,
  // handed to prom-client when scraped, as the feed tallies below.
  const storeCallTally = createLabelTally('operation');
  const createdTally = createLabelTally('outcome', ['CREATED', 'REPLACED']);
  const pipelineTally = createLabelTally('pipeline', ['known', 'apollo']);
  new Counter({
    name: 'tidings_store_calls_total',
    help: 'Store operations by name (each is one transaction or one read).',
    labelNames: ['operation'] as const,
    registers,
    collect() {
      storeCallTally.flushInto(this);
    },
  });
  new Counter({
    name: 'tidings_notifications_created_total',
    help: 'Notifications posted, by outcome: CREATED (new) or REPLACED (same appNotificationId).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      createdTally.flushInto(this);
    },
  });
  new Counter({
    name: 'tidings_graphql_http_requests_total',
    help: "GraphQL requests over HTTP by what answered them: known (a known document, without Apollo's pipeline) or apollo.",
    labelNames: ['pipeline'] as const,
    registers,
    collect() {
      pipelineTally.flushInto(this);
    },
  });
  const errors = new Counter({
    name: 'tidings_graphql_errors_total',
    help: 'GraphQL errors answered to clients, by extensions.code and transport (http, ws).',
    labelNames: ['transport', 'code'] as const,
    registers,
  });
  const pushes = new Counter({
    name: 'tidings_web_pushes_total',
    help: 'Web Pushes that ended, by outcome: PUSHED (201), GONE (404/410), FAILED (given up), SKIPPED.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const tally = { frames: 0, resyncs: 0, storeReads: 0, changesRead: 0 };
  const tallied = (name: string, help: string, key: keyof typeof tally) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.inc(tally[key]);
        tally[key] = 0;
      },
    });
  tallied('tidings_deliveries_total', 'Change frames written to sockets, live and replayed.', 'frames');
  tallied(
    'tidings_resyncs_total',
    'RESYNC frames written to sockets (a cursor that cannot be resumed).',
    'resyncs',
  );
  tallied(
    'tidings_replays_total',
    'Catch-ups served from the store: reads by live feeds that returned changes they had missed.',
    'storeReads',
  );
  tallied('tidings_replayed_changes_total', 'Changes those catch-ups returned.', 'changesRead');
  const lag = createTallyHistogram({
    name: 'tidings_fanout_lag_seconds',
    help: "Time from a change's commit (its timestamp) to its live frame being written to a socket.",
    buckets: LAG_BUCKETS,
    registry,
  });

  return {
    registry,
    eventLoop,
    close: () => eventLoop.close(),
    webPushEnded: (outcome) => pushes.labels(outcome).inc(),
    countStoreCalls(store) {
      const counted = {} as Record<string, unknown>;
      for (const [name, method] of Object.entries(store) as Array<
        [string, (...args: unknown[]) => unknown]
      >) {
        storeCallTally.declare(name);
        counted[name] = (...args: unknown[]) => {
          storeCallTally.add(name);
          return method(...args);
        };
      }
      const post = store.postNotification.bind(store);
      counted.postNotification = async (...args: Parameters<Store['postNotification']>) => {
        storeCallTally.add('postNotification');
        const change = await post(...args);
        if (change) createdTally.add(change.kind);
        return change;
      };
      return counted as unknown as Store;
    },
    gaugeOf(name, help, read) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    },
    graphqlOverHttp(pipeline) {
      pipelineTally.add(pipeline);
    },
    errorAnswered(transport, code) {
      errors.labels(transport, typeof code === 'string' && ERROR_CODE.test(code) ? code : 'OTHER').inc();
    },
    feeds: {
      sent(event) {
        if (event.type === 'change') tally.frames += 1;
        else tally.resyncs += 1;
      },
      liveChangeSent(change) {
        // FALLBACK changes keep the notification's last modification time: no timestamp of their own.
        if (change.kind === 'FALLBACK') return;
        lag.record((Date.now() - change.notification.lastModifiedDateTime.getTime()) / 1000);
      },
      readFromStore(count) {
        if (count === 0) return;
        tally.storeReads += 1;
        tally.changesRead += count;
      },
    },
  };
}

/**
 * prom-client's default metrics (process CPU, memory, handles, heap, GC, version…) but its event-loop
 * lag, whose delay monitor it enables for good and which has no switch: each collector is the module
 * `collectDefaultMetrics` calls itself, by the names it lists (`metricsList`), with the same arguments.
 * test/observability/event-loop-lag.test.ts checks that the set served is prom-client's own.
 */
function registerDefaultMetricsButEventLoopLag(registry: Registry): void {
  const require = createRequire(import.meta.url);
  const config = { register: registry, prefix: PREFIX };
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === 'eventLoopLag') continue;
    const collector = require(`prom-client/lib/metrics/${name}`) as (
      registry: Registry,
      config: { prefix: string },
    ) => void;
    collector(registry, config);
  }
}

/**
 * Counts per value of a counter's one label, kept as plain numbers and added to the counter when it is
 * scraped (its `collect`): prom-client's `labels().inc()` hashes the labels on every call. Declared values
 * (`values`, `declare`) are series from the first scrape on, at 0, as `labels(value)` made them before.
 */
function createLabelTally(
  label: string,
  values: readonly string[] = [],
): {
  declare(value: string): void;
  add(value: string): void;
  flushInto(counter: Counter<string>): void;
} {
  const pending = new Map<string, number>(values.map((value) => [value, 0]));
  return {
    declare(value) {
      if (!pending.has(value)) pending.set(value, 0);
    },
    add(value) {
      pending.set(value, (pending.get(value) ?? 0) + 1);
    },
    flushInto(counter) {
      for (const [value, count] of pending) counter.inc({ [label]: value }, count);
      pending.clear();
    },
  };
}

/**
 * A Prometheus histogram fed by `record`, which only adds to preallocated numbers (prom-client's own
 * `observe` allocates on every call). It is registered as a metric object whose `get()` the registry
 * reads when scraped, as it reads its own metrics.
 */
function createTallyHistogram(options: {
  name: string;
  help: string;
  buckets: readonly number[];
  registry: Registry;
}): { record(seconds: number): void } {
  const { name, help, buckets } = options;
  const counts = new Float64Array(buckets.length);
  let total = 0;
  let sum = 0;
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      let cumulative = 0;
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> =
        buckets.map((bound, i) => {
          cumulative += counts[i] as number;
          return { labels: { le: bound }, value: cumulative, metricName: `${name}_bucket` };
        });
      values.push({ labels: { le: '+Inf' }, value: total, metricName: `${name}_bucket` });
      return {
        name,
        help,
        type: 'histogram',
        aggregator: 'sum',
        values: [
          ...values,
          { labels: {}, value: sum, metricName: `${name}_sum` },
          { labels: {}, value: total, metricName: `${name}_count` },
        ],
      };
    },
    reset() {
      counts.fill(0);
      total = 0;
      sum = 0;
    },
  };
  // prom-client's typings declare a metric's `type` as a numeric enum; at run time it is this string.
  options.registry.registerMetric(metric as unknown as Histogram);
  return {
    record(seconds) {
      // A negative lag (a clock stepped back, or a test's clock) counts as 0.
      const value = seconds > 0 ? seconds : 0;
      total += 1;
      sum += value;
      for (let i = 0; i < buckets.length; i += 1) {
        if (value <= (buckets[i] as number)) {
          counts[i] = (counts[i] as number) + 1;
          return;
        }
      }
    },
  };
}
