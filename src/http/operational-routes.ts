import type { JSONWebKeySet } from 'jose';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessProbe } from '../observability/readiness.js';
import type { RouteTable } from './http-server.js';
import { sendJson } from './respond.js';

/**
 * The routes operators and token verifiers use: liveness, readiness (store and fan-out reachable),
 * Prometheus metrics, and the embedded issuer's public keys.
 */
export function createOperationalRoutes(options: {
  readonly jwks: JSONWebKeySet;
  readonly metrics: Metrics;
  readonly readiness: ReadinessProbe;
}): RouteTable {
  const { jwks, metrics, readiness } = options;
  return {
    'GET /.well-known/jwks.json': (_, response) =>
      sendJson(response, 200, jwks, { 'cache-control': 'public, max-age=300' }),
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
