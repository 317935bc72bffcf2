import { randomUUID } from 'node:crypto';
import type { Env } from '../../src/config/config.js';
import type { GatewayOptions } from '../../src/gateway.js';
import { onCleanup } from './cleanup.js';
import { startGateway, type TestGateway, testRedisUrl } from './gateway.js';
import { createTestSchema, testPostgresUrl } from './postgres.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

// Outages for one gateway only: its PostgreSQL or Redis behind a TCP proxy the test controls, while the
// machine's own servers keep serving everyone else.

/** A TCP proxy in front of the service of `url` (its host and port). */
export async function proxyTo(url: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(url);
  return startTcpProxy(hostname, Number(port));
}

/** `url` with its host and port replaced by the proxy's. */
export function through(url: string, proxy: TcpProxy): string {
  const rerouted = new URL(url);
  rerouted.host = `127.0.0.1:${proxy.port}`;
  return rerouted.toString();
}

/**
 * A gateway on a PostgreSQL schema of its own reached through a proxy (`database`), with the machine's
 * Redis for its fan-out, or Redis through a proxy too (`redis`) when asked. The proxies are put back
 * before the gateway is closed, so that its shutdown finds its servers.
 */
export async function startGatewayBehindProxies(
  options: { env?: Env; redisBehindProxy?: boolean } & Pick<GatewayOptions, 'logger'> = {},
): Promise<{ t: TestGateway; database: TcpProxy; redis: TcpProxy | undefined }> {
  const database = await proxyTo(testPostgresUrl());
  const redis = options.redisBehindProxy ? await proxyTo(testRedisUrl()) : undefined;
  const t = await startGateway({
    env: {
      DATABASE_URL: through((await createTestSchema()).url, database),
      REDIS_URL: redis ? through(testRedisUrl(), redis) : testRedisUrl(),
      TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
      ...options.env,
    },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  onCleanup(async () => {
    await database.restore();
    await redis?.restore();
  });
  return { t, database, redis };
}
