import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Store } from '../store/types.js';

/** What `GET /metrics` serves (Prometheus text format), and the few counters the hot paths feed. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts every store operation by name: e.g. store calls per reconnect, in benchmarks and dashboards. */
  countStoreCalls(store: Store): Store;
  /** Reports a value read only when scraped (nothing to do on the hot path). */
  gaugeOf(name: string, help: string, read: () => number): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tidings_' });
  const storeCalls = new Counter({
    name: 'tidings_store_calls_total',
    help: 'Store operations by name (each is one transaction or one read).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  return {
    registry,
    countStoreCalls(store) {
      const counted = {} as Record<string, unknown>;
      for (const [name, method] of Object.entries(store) as Array<
        [string, (...args: unknown[]) => unknown]
      >) {
        const counter = storeCalls.labels(name);
        counted[name] = (...args: unknown[]) => {
          counter.inc();
          return method(...args);
        };
      }
      return counted as unknown as Store;
    },
    gaugeOf(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
  };
}
