import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createEmbeddedIssuer } from '../../../src/auth/embedded-issuer.js';
import { loadOrCreateSigningKey } from '../../../src/auth/signing-key.js';
import { loadConfig } from '../../../src/config/config.js';
import { fetchAppToken } from '../../support/app-token.js';
import { graphqlData } from '../lib/http-client.js';
import { KEY, TARGET } from '../lib/http-template.js';
import type { SocketSpec } from '../lib/load-messages.js';
import { NOTIFICATION_BODY, NOTIFICATION_TITLE } from '../lib/notification.js';
import { onCleanup } from '../lib/processes.js';
import { startServerProcess } from '../lib/server-process.js';
import { runConcurrently } from '../lib/time.js';
import type {
  BenchEnvironment,
  DatabaseLocation,
  Installation,
  SystemDefinition,
  SystemId,
} from './system.js';

/** The build, as `npm start` and production run it (`npm run bench` builds first). */
const MAIN = fileURLToPath(new URL('../../../dist/main.js', import.meta.url));
/**
 * Another built checkout of Tidings (its root: `dist/`, `prisma/`, and `node_modules` found from there)
 * measured beside this one as `tidings-*-before`, so a change is measured before and after in one run.
 */
export const BEFORE_ROOT = process.env.TIDINGS_BENCH_BEFORE;
/**
 * Settings for the `-before` systems only (`NAME=value`, space-separated), e.g. with TIDINGS_BENCH_BEFORE
 * naming this very checkout: one build under two settings, side by side in one run.
 */
const BEFORE_ENV = Object.fromEntries(
  (process.env.TIDINGS_BENCH_BEFORE_ENV ?? '')
    .split(' ')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
/** The `-before` systems' settings, for their label. */
const settingsNote = () => {
  const names = Object.entries(BEFORE_ENV).map(([name, value]) => `${name}=${value}`);
  return names.length === 0 ? '' : ` with ${names.join(' ')}`;
};
const HOST_NAME = 'bench.example.com';
/** User tokens and app tokens outlive any run. */
const TOKEN_TTL_SECONDS = 86_400;
/** Device subscriptions are created like this many client apps at once. */
const SETUP_CONCURRENCY = 8;

const CREATE_DEVICE = `mutation ($input: CreateDeviceSubscriptionInput!) {
  createDeviceSubscription(input: $input) { id }
}`;
// What an app service would ask back: the outcome and the id.
const CREATE_NOTIFICATION = `mutation ($input: CreateNotificationInput!) {
  createNotification(input: $input) { outcome notification { id } }
}`;

/** Variables the caller's shell may hold that would move the gateway off the bench's own store. */
export const STORE_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'TIDINGS_REDIS_PREFIX',
  'TIDINGS_DATA_DIR',
  'PORT',
  'HOST',
];

/**
 * Tidings itself, the real gateway (`src/main.ts serve`) as a child process, on SQLite (its embedded
 * default) or on PostgreSQL + Redis. Its limits are raised so the bench's load is never refused: the
 * 1,000 sockets of one user, the app's mutation rate, the changes waiting per feed.
 */
export function tidingsSystem(store: 'sqlite' | 'postgres', before?: string): SystemDefinition {
  const label =
    store === 'sqlite' ? 'Tidings, SQLite (FULL sync) + in-memory fan-out' : 'Tidings, PostgreSQL + Redis';
  const id = store === 'sqlite' ? 'tidings-sqlite' : 'tidings-postgres';
  const main = before === undefined ? MAIN : join(before, 'dist', 'main.js');
  const systemId: SystemId = before === undefined ? id : `${id}-before`;
  return {
    id: systemId,
    label: before === undefined ? label : `${label}, the build at ${before}${settingsNote()}`,
    install: (environment) =>
      installTidings(store, systemId, environment, main, before === undefined ? {} : BEFORE_ENV),
  };
}

async function installTidings(
  store: 'sqlite' | 'postgres',
  /** The system's id, the name of its server's process (and of its log, TIDINGS_BENCH_SERVER_OUTPUT). */
  systemId: string,
  environment: BenchEnvironment,
  main: string,
  settings: Readonly<Record<string, string>>,
): Promise<Installation> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  onCleanup(`remove ${dataDir}`, removeDir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of STORE_VARIABLES) delete env[name];
  Object.assign(env, {
    TIDINGS_MODE: 'production',
    TIDINGS_MAX_CONNECTIONS_PER_USER: '100000',
    TIDINGS_MAX_DEVICES_PER_USER: '100000',
    TIDINGS_USER_MUTATIONS_PER_SECOND: '1000000',
    TIDINGS_USER_MUTATION_BURST: '1000000',
    TIDINGS_APP_MUTATIONS_PER_SECOND: '1000000',
    TIDINGS_APP_MUTATION_BURST: '1000000',
    TIDINGS_MAX_PENDING_CHANGES: '100000',
    TIDINGS_APP_TOKEN_TTL: String(TOKEN_TTL_SECONDS),
    // The bench reads store operations from /metrics on the gateway's port (off it in production).
    TIDINGS_METRICS_ADDRESS: 'public',
    ...settings,
  });
  let dropSchema = async () => {};
  let database: DatabaseLocation = { kind: 'sqlite', file: join(dataDir, 'tidings.db') };
  if (store === 'postgres') {
    const schema = `tidings_bench_${randomBytes(6).toString('hex')}`;
    const url = new URL(environment.postgresUrl);
    url.searchParams.set('schema', schema);
    env.DATABASE_URL = url.toString();
    database = { kind: 'postgres', url: environment.postgresUrl, schema };
    env.REDIS_URL = environment.redisUrl;
    env.TIDINGS_REDIS_PREFIX = `tidings-bench-${randomBytes(6).toString('hex')}:`;
    dropSchema = () => onDatabase(environment.postgresUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    onCleanup(`drop schema ${schema}`, dropSchema);
  }

  const { clientId, clientSecret } = await registerApp(dataDir, env);
  const config = loadConfig(env, { dataDir });
  const issuer = createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  // Kept across restarts, as the store keeps them.
  const users = new Map<string, { token: string; unsids: string[] }>();
  let sequence = 0;

  return {
    database,
    async start(options = {}) {
      const server = await startServerProcess({
        name: systemId,
        entry: options.entry ?? main,
        args: ['serve', '--port', '0', '--data-dir', dataDir],
        env: { ...env, ...options.env },
        cpus: environment.cpus,
      });
      const appToken = await fetchAppToken(server.origin, clientId, clientSecret);
      const appHeaders = { authorization: `Bearer ${appToken}` };
      const triggerInput = {
        deviceSubscriptionId: TARGET,
        appNotificationId: KEY,
        targetHostName: HOST_NAME,
        payload: { visualContent: { title: NOTIFICATION_TITLE, body: NOTIFICATION_BODY } },
      };
      return {
        pid: server.pid,
        url: server.url,
        wsUrl: server.wsUrl,
        probe: server.probe,
        output: server.output,
        stop: server.stop,
        async devices(userIds, perUser) {
          const missing: Array<{ user: { token: string; unsids: string[] }; index: number }> = [];
          for (const id of userIds) {
            let user = users.get(id);
            if (!user) {
              user = { token: await issuer.issueUserToken(id, clientId, TOKEN_TTL_SECONDS), unsids: [] };
              users.set(id, user);
            }
            for (let index = user.unsids.length; index < perUser; index++) missing.push({ user, index });
          }
          const create = async ({ user, index }: (typeof missing)[number]) => {
            const data = await graphqlData<{ createDeviceSubscription: { id: string } }>(
              server.url,
              CREATE_DEVICE,
              { input: { platform: 'WEB', deviceLabel: `bench device ${index}` } },
              user.token,
            );
            user.unsids[index] = data.createDeviceSubscription.id;
          };
          // A user's first device alone, then the others at once: on PostgreSQL, concurrent first device
          // subscriptions of one user fail (the feed's upsert races: a unique-constraint error, answered
          // INTERNAL_SERVER_ERROR). A product bug, reported; the bench steps around it.
          const first = missing.filter(({ index }) => index === 0);
          const rest = missing.filter(({ index }) => index > 0);
          await runConcurrently(first.length, SETUP_CONCURRENCY, (i) =>
            create(first[i] as (typeof first)[number]),
          );
          await runConcurrently(rest.length, SETUP_CONCURRENCY, (i) =>
            create(rest[i] as (typeof rest)[number]),
          );
          return userIds.flatMap((id) => {
            const user = users.get(id) as { token: string; unsids: string[] };
            return user.unsids.slice(0, perUser).map(
              (unsid): SocketSpec => ({
                deviceSubscriptionId: unsid,
                connectionParams: { authorization: `Bearer ${user.token}` },
              }),
            );
          });
        },
        async trigger(userId) {
          const unsid = users.get(userId)?.unsids[0];
          if (!unsid) throw new Error(`no device subscription for ${userId}: call devices() first`);
          const input = {
            deviceSubscriptionId: unsid,
            appNotificationId: `bench-${++sequence}`,
            targetHostName: HOST_NAME,
            payload: { visualContent: { title: NOTIFICATION_TITLE, body: NOTIFICATION_BODY } },
          };
          await graphqlData(server.url, CREATE_NOTIFICATION, { input }, appToken);
        },
        triggerRequest: {
          url: server.url,
          headers: appHeaders,
          body: JSON.stringify({ query: CREATE_NOTIFICATION, variables: { input: triggerInput } }),
        },
        trivialRequest: {
          url: server.url,
          headers: appHeaders,
          body: JSON.stringify({ query: '{ __typename }' }),
        },
      };
    },
    async dispose() {
      removeDir();
      await dropSchema();
    },
  };
}

/**
 * Makes the store (`tidings migrate`: apps create never makes one) and registers the bench's app with the
 * real CLI (`tidings apps create --json`), as an operator would.
 */
async function registerApp(dataDir: string, env: NodeJS.ProcessEnv) {
  const tidings = (...args: string[]) =>
    promisify(execFile)(process.execPath, [MAIN, ...args, '--data-dir', dataDir], {
      env,
      timeout: 60_000,
    });
  await tidings('migrate');
  const { stdout } = await tidings('apps', 'create', '--host', HOST_NAME, '--json');
  const { clientId, clientSecret } = JSON.parse(stdout) as { clientId?: string; clientSecret?: string };
  if (!clientId || !clientSecret) throw new Error(`tidings apps create printed no credentials:\n${stdout}`);
  return { clientId, clientSecret };
}

async function onDatabase(url: string, sql: string): Promise<void> {
  const plain = new URL(url);
  plain.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: plain.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
