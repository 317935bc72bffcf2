import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startChildGateway } from '../support/child-gateway.js';
import { onCleanup } from '../support/cleanup.js';
import { tidings } from '../support/cli.js';
import { storeEnv, temporaryDataDir, testRedisUrl } from '../support/gateway.js';
import { createTestSchema } from '../support/postgres.js';

/** A port some other program holds on 127.0.0.1, for as long as the test file runs. */
async function takenPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

describe('tidings serve', () => {
  it('prints what an operator needs in production: URL, mode, store without credentials, metrics; no dev tokens', async () => {
    const dataDir = temporaryDataDir();
    // Production as the README sets it up: PostgreSQL and Redis, with a password in the database URL
    // (the test database's trust authentication ignores it), which is never printed.
    const database = new URL((await createTestSchema()).url);
    database.password = 'pw-never-shown';
    const server = await startChildGateway(
      {
        NODE_ENV: 'production',
        DATABASE_URL: database.toString(),
        REDIS_URL: testRedisUrl(),
        TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
        TIDINGS_METRICS_ADDRESS: '127.0.0.1:0',
        TIDINGS_TRUSTED_PROXIES: 'loopback',
      },
      dataDir,
    );
    const banner = server.output();
    expect(banner).toContain(`listening on ${server.url} (production; data in ${dataDir})`);
    expect(banner).toContain(
      `store:    PostgreSQL at ${database.host}${database.pathname}, schema ${database.searchParams.get('schema')}`,
    );
    expect(banner).toContain(`fan-out:  Redis at ${new URL(testRedisUrl()).host}`);
    expect(banner).toMatch(/proxies: .*loopback/);
    expect(banner).toMatch(/signing: +key \S+\n/);
    expect(banner).not.toContain('pw-never-shown');
    expect(banner).not.toMatch(/token user|Sandbox|oauth2\/token/);
    // The metrics address it prints is where they are, and not on the public port.
    const metricsUrl = /metrics: +(http:\/\/\S+\/metrics)/.exec(banner)?.[1] as string;
    expect((await fetch(metricsUrl)).status).toBe(200);
    expect((await fetch(server.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
    expect(await server.stop()).toBe(0);
  });

  it('names the address and the setting to change, in one line with exit code 2, when a port is taken', async () => {
    const dataDir = temporaryDataDir();
    const port = await takenPort();
    const main = await tidings(['serve', '--port', String(port)], dataDir);
    expect(main.code).toBe(2);
    expect(main.stdout).toBe('');
    expect(main.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tidings: /)]);
    expect(main.stderr).toContain(`127.0.0.1:${port}`);
    expect(main.stderr).toContain('PORT');

    const metrics = await tidings(
      ['serve', '--port', '0', '--metrics-address', `127.0.0.1:${port}`],
      dataDir,
    );
    expect(metrics.code).toBe(2);
    expect(metrics.stdout).toBe('');
    expect(metrics.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tidings: /)]);
    expect(metrics.stderr).toContain(`127.0.0.1:${port}`);
    expect(metrics.stderr).toContain('TIDINGS_METRICS_ADDRESS');
  });

  it('stops gracefully on SIGTERM outside the test runner too: open sockets get 1001, exit code 0', async () => {
    // Vitest sets NODE_ENV=test, which children inherit; a deployment has production, or nothing.
    const dataDir = temporaryDataDir();
    const server = await startChildGateway({ ...(await storeEnv(dataDir)), NODE_ENV: 'production' }, dataDir);
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    onCleanup(() => socket.terminate());
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    expect(await server.stop()).toBe(0);
    expect(await closed).toBe(1001);
    expect(server.output()).toContain('Shutting down…');
  });
});
