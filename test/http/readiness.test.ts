import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../support/cleanup.js';
import { startGateway, testRedisUrl } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { createTestSchema, testPostgresUrl } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

interface ReadinessAnswer {
  readonly status: number;
  readonly body: { status: string; store: boolean; fanout: boolean; notReady: string[] };
}

const readyz = async (origin: string): Promise<ReadinessAnswer> => {
  const response = await fetch(`${origin}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadinessAnswer['body'] };
};

const READY = { status: 200, body: { status: 'ready', store: true, fanout: true, notReady: [] } };
const notReady = (what: 'store' | 'fanout') => ({
  status: 503,
  body: { status: 'unavailable', store: what !== 'store', fanout: what !== 'fanout', notReady: [what] },
});

/** A proxy in front of a real service, put back before the gateway using it is closed. */
async function proxyTo(url: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(url);
  return startTcpProxy(hostname, Number(port));
}

/** `url` with its host:port replaced by the proxy's. */
const through = (url: string, proxy: TcpProxy) => {
  const rerouted = new URL(url);
  rerouted.host = `127.0.0.1:${proxy.port}`;
  return rerouted.toString();
};

// The outages are real: a TCP proxy in front of the machine's PostgreSQL or Redis refuses connections
// (cut) or keeps them open and silent (hang), for one gateway only. /healthz says alive throughout.
describe('GET /readyz', () => {
  it('on SQLite with the in-memory fan-out: ready, naming both checks', async () => {
    const t = await startGateway();
    expect(t.gateway.services.config.databaseProvider).toBe('sqlite');
    expect(await readyz(t.origin)).toEqual(READY);
  });

  it('on SQLite with Redis: 503 naming the fan-out while Redis hangs or refuses, within the bound; ready again after', async () => {
    const proxy = await proxyTo(testRedisUrl());
    const logs = captureLogs();
    const t = await startGateway({
      env: {
        REDIS_URL: through(testRedisUrl(), proxy),
        TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
      },
      logger: logs.logger,
    });
    onCleanup(() => proxy.restore());
    await expect.poll(async () => (await readyz(t.origin)).status, { timeout: 5000 }).toBe(200);

    // Hung: connected, but no answer. The probe gives up on it after its bound and says so.
    proxy.hang();
    expect(await readyz(t.origin)).toEqual(notReady('fanout'));
    expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    expect(logs.withMessage('not ready').at(-1)).toMatchObject({
      level: 'warn',
      notReady: { fanout: expect.stringMatching(/no answer within 2000 ms/) },
    });

    await proxy.restore();
    await expect.poll(async () => readyz(t.origin), { timeout: 15_000 }).toEqual(READY);

    // Refused: Redis gone.
    await proxy.cut();
    await expect.poll(async () => readyz(t.origin), { timeout: 5000 }).toEqual(notReady('fanout'));
    await proxy.restore();
    await expect.poll(async () => readyz(t.origin), { timeout: 15_000 }).toEqual(READY);
  });

  it('on PostgreSQL: 503 naming the store while it refuses connections or hangs, within the bound; ready again after', async () => {
    const proxy = await proxyTo(testPostgresUrl());
    const { url } = await createTestSchema();
    const logs = captureLogs();
    const t = await startGateway({
      env: {
        DATABASE_URL: through(url, proxy),
        REDIS_URL: testRedisUrl(),
        TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
      },
      logger: logs.logger,
    });
    onCleanup(() => proxy.restore());
    expect(t.gateway.services.config.databaseProvider).toBe('postgres');
    await expect.poll(async () => (await readyz(t.origin)).status, { timeout: 5000 }).toBe(200);

    await proxy.cut();
    expect(await readyz(t.origin)).toEqual(notReady('store'));
    await proxy.restore();
    await expect.poll(async () => readyz(t.origin), { timeout: 15_000 }).toEqual(READY);

    // A hung database: its queries never return, and the probe answers anyway.
    proxy.hang();
    expect(await readyz(t.origin)).toEqual(notReady('store'));
    expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    expect(logs.withMessage('not ready').at(-1)).toMatchObject({
      notReady: { store: expect.stringMatching(/no answer within 2000 ms/) },
    });
    await proxy.restore();
    await expect.poll(async () => readyz(t.origin), { timeout: 15_000 }).toEqual(READY);
  });
});
