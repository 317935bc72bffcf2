import type { JSONWebKeySet } from 'jose';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessProbe } from '../observability/readiness.js';
import type { Route, RouteTable } from './http-server.js';
import { sendJson } from './respond.js';

/**
 * The routes operators and token verifiers use on the public port: liveness, readiness (store and fan-out
 * reachable), the embedded issuer's public keys, and Prometheus metrics when `metricsOnPublicPort` (else
 * they are on a listener of their own, or off: see createMetricsRoutes).
 */
export function createOperationalRoutes(options: {
  readonly jwks: JSONWebKeySet;
  readonly metrics: Metrics;
  readonly readiness: ReadinessProbe;
  readonly metricsOnPublicPort: boolean;
}): RouteTable {
  const { jwks, metricsOnPublicPort, ...probes } = options;
  const { 'GET /metrics': metricsRoute, ...health } = createMetricsRoutes(probes);
  return {
    'GET /.well-known/jwks.json': (_, response) =>
      sendJson(response, 200, jwks, { 'cache-control': 'public, max-age=300' }),
    ...health,
    ...(metricsOnPublicPort ? { 'GET /metrics': metricsRoute } : {}),
  };
}

/** The routes of the metrics listener (TIDINGS_METRICS_ADDRESS): metrics, liveness and readiness. */
export function createMetricsRoutes(options: {
  readonly metrics: Metrics;
  readonly readiness: ReadinessProbe;
}): RouteTable & Record<'GET /metrics' | 'GET /healthz' | 'GET /readyz', Route> {
  const { metrics, readiness } = options;
  return {
    'GET /healthz': (_, response) => sendJson(response, 200, { status: 'ok' }),
    'GET /metrics': async (_, response) => {
      response.writeHead(200, { 'content-type': metrics.registry.contentType });
      response.end(await metrics.registry.metrics());
    },
    'GET /readyz': async (_, response) => {
      const { ready, body } = await readiness();
      sendJson(response, ready ? 200 : 503, body, { 'cache-control': 'no-store' });
    },
  };
}
