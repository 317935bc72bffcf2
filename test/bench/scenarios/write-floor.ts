import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { registerApp } from '../../../src/auth/register-app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createStore } from '../../../src/store/create-store.js';
import type { Store } from '../../../src/store/types.js';
import { type BarePost, type BareWriter, barePostgresWriter, bareSqliteWriter } from '../lib/bare-write.js';
import { storeContent } from '../lib/notification.js';
import { onCleanup } from '../lib/processes.js';
import type { SystemId } from '../systems/system.js';
import { BEFORE_ROOT } from '../systems/tidings.js';
import type { Scenario, ScenarioContext } from './scenario.js';

// The write path against its floor, in this process (no HTTP, no GraphQL): batches of BATCH posts, each
// to another user, written (a) through Tidings' store (group commit, Prisma, the driver adapter), and
// (b) as the same SQL straight on the driver with statements prepared once (lib/bare-write.ts). CPU per
// post from process.cpuUsage(); the database server's own CPU (PostgreSQL) is not counted, as the
// gateway's figures never count it. With TIDINGS_BENCH_BEFORE the other build's store is measured too.

/** Posts per batch: what a few concurrent requests make under group commit. */
const BATCH = 8;
const USERS = 64;
const ISSUER = 'urn:bench:write-floor';

type Provider = 'sqlite' | 'postgres';
type Variant = 'bare' | 'store' | 'store-before';

const SYSTEM_OF: Record<Provider, Record<Variant, SystemId>> = {
  sqlite: { bare: 'bare-driver-sqlite', store: 'tidings-sqlite', 'store-before': 'tidings-sqlite-before' },
  postgres: {
    bare: 'bare-driver-postgres',
    store: 'tidings-postgres',
    'store-before': 'tidings-postgres-before',
  },
};

interface Subject {
  readonly variant: Variant;
  /** Writes one batch. */
  write(posts: readonly BarePost[]): Promise<void>;
  close(): Promise<void>;
  readonly unsids: readonly string[];
  readonly appId: string;
}

const content = (appNotificationId: string) => storeContent('floor.example.com', appNotificationId);

/** A fresh database (a SQLite file, or a PostgreSQL schema), migrated, with an app and USERS devices. */
async function freshDatabase(context: ScenarioContext, provider: Provider) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-floor-'));
  onCleanup(`remove ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = {};
  let schema = '';
  if (provider === 'postgres') {
    schema = `tidings_floor_${randomBytes(6).toString('hex')}`;
    const url = new URL(context.environment.postgresUrl);
    url.searchParams.set('schema', schema);
    env.DATABASE_URL = url.toString();
    onCleanup(`drop schema ${schema}`, async () => {
      const client = new pg.Client({ connectionString: context.environment.postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    });
  }
  const config = loadConfig(env, { dataDir });
  const store = await createStore(config);
  const { app } = await registerApp(store, { targetHostName: 'floor.example.com' });
  const unsids: string[] = [];
  const now = new Date();
  for (let user = 0; user < USERS; user++) {
    const device = await store.createDeviceSubscription({
      id: `floor-${user}-${randomBytes(4).toString('hex')}`,
      owner: { appId: app.id, issuer: ISSUER, subject: `user-${user}` },
      platform: 'WEB',
      deviceLabel: 'floor',
      expirationDateTime: new Date(now.getTime() + 86_400_000),
      now,
      maxDevices: 10,
    });
    unsids.push(device.id);
  }
  await store.close();
  return { config, schema, appId: app.id, unsids, file: join(dataDir, 'tidings.db') };
}

async function openSubject(context: ScenarioContext, provider: Provider, variant: Variant): Promise<Subject> {
  const db = await freshDatabase(context, provider);
  if (variant === 'bare') {
    const writer: BareWriter =
      provider === 'sqlite'
        ? bareSqliteWriter(db.file, BATCH, db.config.sqliteSynchronous)
        : await barePostgresWriter(context.environment.postgresUrl, db.schema, BATCH);
    return { variant, write: writer.write, close: writer.close, unsids: db.unsids, appId: db.appId };
  }
  const open: (config: typeof db.config) => Promise<Store> =
    variant === 'store'
      ? createStore
      : (
          (await import(
            pathToFileURL(join(BEFORE_ROOT as string, 'dist', 'store', 'create-store.js')).href
          )) as { createStore: typeof createStore }
        ).createStore;
  const store = await open(db.config);
  return {
    variant,
    async write(posts) {
      // Posted together, as concurrent requests are: group commit writes them as one batch.
      const changes = await Promise.all(
        posts.map((post) =>
          store.postNotification({
            target: { deviceSubscriptionId: post.unsid, appId: post.appId },
            content: post.content,
            now: post.now,
          }),
        ),
      );
      if (changes.some((change) => change === null)) throw new Error('a post found no device');
    },
    close: () => store.close(),
    unsids: db.unsids,
    appId: db.appId,
  };
}

/** Writes `batches` batches; answers the CPU µs per post. */
async function measure(subject: Subject, batches: number, keyPrefix: string): Promise<number> {
  const started = process.cpuUsage();
  for (let b = 0; b < batches; b++) {
    const now = new Date();
    const posts = Array.from({ length: BATCH }, (_, i) => ({
      unsid: subject.unsids[(b * BATCH + i) % USERS] as string,
      appId: subject.appId,
      content: content(`${keyPrefix}${b}-${i}`),
      now,
    }));
    await subject.write(posts);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / (batches * BATCH);
}

export const writeFloor: Scenario = {
  id: 'write-floor',
  title: 'The write path against its floor: the store vs the same SQL on the bare driver',
  async run(context) {
    const rounds = context.rounds ?? (context.quick ? 1 : 5);
    const batches = context.quick ? 50 : 200;
    const providers: Provider[] = context.quick ? ['sqlite'] : ['sqlite', 'postgres'];
    const variants: Variant[] = BEFORE_ROOT ? ['bare', 'store-before', 'store'] : ['bare', 'store'];
    context.report.parameters['write-floor'] = { rounds, batches, batchSize: BATCH, users: USERS, providers };
    const log = (message: string) => context.environment.log(`write-floor: ${message}`);
    for (const provider of providers) {
      log(`${provider}: ${variants.join(', ')}`);
      const subjects = await Promise.all(variants.map((variant) => openSubject(context, provider, variant)));
      try {
        for (let round = 0; round <= rounds; round++) {
          for (const subject of subjects) {
            const perPost = await measure(subject, round === 0 ? batches / 2 : batches, `r${round}-`);
            if (round === 0) continue;
            context.report.add(
              {
                id: `write-floor/${provider}`,
                label: `server CPU per post, batches of ${BATCH} posts written in this process (${provider}), the bare driver's the floor`,
                unit: 'µs/post',
                reference: SYSTEM_OF[provider].bare,
              },
              SYSTEM_OF[provider][subject.variant],
              perPost,
              { round, batches, batchSize: BATCH },
            );
          }
        }
      } finally {
        await Promise.all(subjects.map((subject) => subject.close()));
      }
    }
  },
};
