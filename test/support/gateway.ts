import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerApp } from '../../src/auth/register-app.js';
import { type Env, loadConfig } from '../../src/config/config.js';
import type { App } from '../../src/domain/types.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { createJsonLogger, silentLogger } from '../../src/logger.js';
import { fetchAppToken } from './app-token.js';
import { onCleanup } from './cleanup.js';
import { createTestSchema } from './postgres.js';

/**
 * Which store and fan-out the suite runs on: `TIDINGS_TEST_STORE=postgres` runs every gateway on
 * PostgreSQL (a schema of its own) with the Redis fan-out (a channel prefix of its own).
 */
export const testStore: 'sqlite' | 'postgres' =
  process.env.TIDINGS_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The Redis the tests use: `TIDINGS_TEST_REDIS_URL`, else the one every project machine runs. */
export const testRedisUrl = (): string => process.env.TIDINGS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// A data directory stands for a whole installation: on PostgreSQL, its schema and Redis prefix, so a
// gateway restarted "on the same data directory" finds the same store.
const installations = new Map<string, Env>();

/** The environment that puts a gateway of `dataDir` on the suite's store and fan-out. */
export async function storeEnv(dataDir: string): Promise<Env> {
  if (testStore === 'sqlite') {
    // The project that runs the store's tests with SQLite's writes on the event loop (vitest.config.ts).
    const writeThread = process.env.TIDINGS_TEST_SQLITE_WRITE_THREAD;
    return writeThread ? { TIDINGS_SQLITE_WRITE_THREAD: writeThread } : {};
  }
  let env = installations.get(dataDir);
  if (!env) {
    const { url } = await createTestSchema();
    env = {
      DATABASE_URL: url,
      REDIS_URL: testRedisUrl(),
      TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
    };
    installations.set(dataDir, env);
  }
  return env;
}

/** A temporary data directory, removed when the test file ends. */
export function temporaryDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-test-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestApp {
  readonly app: App;
  readonly clientSecret: string;
  /** A fresh app token from the real token endpoint. */
  token(): Promise<string>;
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly dataDir: string;
  readonly url: string;
  readonly wsUrl: string;
  /** Base URL without /graphql, e.g. http://127.0.0.1:1234 */
  readonly origin: string;
  registerApp(targetHostName: string): Promise<TestApp>;
  /** A user token for `subject` signed in to `app`, from the embedded issuer; `scopes` [NOTIFICATIONS_SCOPE]
   * make it a delegated one. It lasts a day unless told: tests that move the gateway's clock (by which
   * tokens are issued and checked too) move it by hours. */
  userToken(subject: string, app: App, ttlSeconds?: number, scopes?: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a real gateway on a free port (or on `port`: a restart where clients left off), with a new data
 * directory unless one is given.
 */
export async function startGateway(
  options: { dataDir?: string; env?: Env; port?: number } & Pick<
    GatewayOptions,
    'now' | 'fanout' | 'onStoreQuery' | 'logger'
  > = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const config = loadConfig(
    { ...(await storeEnv(dataDir)), ...options.env },
    { port: options.port ?? 0, host: '127.0.0.1', dataDir },
  );
  // TIDINGS_TEST_LOG=1 shows the gateway's log (e.g. the cause of a masked INTERNAL_SERVER_ERROR).
  const logger =
    options.logger ??
    (process.env.TIDINGS_TEST_LOG ? createJsonLogger(undefined, config.logLevel) : silentLogger);
  const { dataDir: _, env: __, port: ___, ...gatewayOptions } = options;
  const gateway = await createGateway(config, { logger, ...gatewayOptions });
  onCleanup(() => gateway.close());
  const origin = gateway.url.replace(/\/graphql$/, '');
  return {
    gateway,
    dataDir,
    url: gateway.url,
    wsUrl: gateway.wsUrl,
    origin,
    async registerApp(targetHostName) {
      const { app, clientSecret } = await registerApp(gateway.services.store, { targetHostName });
      return {
        app,
        clientSecret,
        token: () => fetchAppToken(origin, app.id, clientSecret),
      };
    },
    userToken: (subject, app, ttlSeconds = 86_400, scopes = []) =>
      gateway.issuer.issueUserToken(subject, app.id, ttlSeconds, scopes),
    close: () => gateway.close(),
  };
}

export { fetchAppToken, requestAppToken } from './app-token.js';
