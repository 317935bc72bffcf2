// The durable commit floor under create → receive latency: what the disk alone costs a post, measured in
// the same run and at the same rate as the systems. Each post is one small insert committed on its own
// (autocommit), open loop: post i is due at start + i / rate whatever the earlier ones did, and its
// latency runs from when it was due to when its commit returned. SQLite is better-sqlite3 with the
// pragmas of Tidings' store (WAL, the configured `synchronous`, FULL by default: one fsync per commit);
// PostgreSQL is node-postgres with the server's default synchronous_commit (COMMIT waits for the WAL
// flush), on as many connections as Tidings writes batches at once. Anything Tidings adds above this
// (HTTP, GraphQL, its statements, group commit's queueing, the publish, the frame) is ours; this is not.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { NEW_DATABASE_PAGE_SIZE } from '../../../src/store/migrations/apply-sqlite-migrations.js';
import { NOTIFICATION_BODY, NOTIFICATION_TITLE } from './notification.js';
import { onCleanup } from './processes.js';

/** One open-loop measurement: due → committed and due → started, ms, one per post. */
export interface CommitFloorResult {
  readonly latenciesMs: number[];
  readonly sendLatenessMs: number[];
  /** Commits started per second, first to last. */
  readonly sendRate: number;
}

export interface CommitFloor {
  /** Commits `count` posts at `rate` per second, open loop. */
  measure(rate: number, count: number): Promise<CommitFloorResult>;
  close(): Promise<void>;
}

/** A post's row: about the size of the notification the systems post. */
const body = () => `${NOTIFICATION_TITLE} ${NOTIFICATION_BODY} ${randomBytes(8).toString('hex')}`;

/**
 * Runs `commit(i)` for post i at its due time, without waiting for earlier commits (a synchronous driver
 * waits by itself: its commits run one after the other, as Tidings' on SQLite do).
 */
async function openLoop(
  rate: number,
  count: number,
  commit: () => Promise<void> | void,
): Promise<CommitFloorResult> {
  const intervalMs = 1000 / rate;
  const latenciesMs = new Array<number>(count);
  const sendLatenessMs = new Array<number>(count);
  const pending: Array<Promise<void>> = [];
  // Handled at once, not only once every post is sent: a commit failing mid-loop is reported, not left
  // as an unhandled rejection while the loop goes on.
  let failure: { error: unknown } | undefined;
  const start = performance.now() + 5;
  let firstSent = 0;
  let lastSent = 0;
  for (let i = 0; i < count; i++) {
    const due = start + i * intervalMs;
    const early = due - performance.now();
    if (early > 0) await sleep(early);
    const sent = performance.now();
    if (i === 0) firstSent = sent;
    lastSent = sent;
    sendLatenessMs[i] = sent - due;
    const done = () => {
      latenciesMs[i] = performance.now() - due;
    };
    if (failure) break;
    const result = commit();
    if (result) {
      pending.push(
        result.then(done, (error: unknown) => {
          failure ??= { error };
        }),
      );
    } else done();
  }
  await Promise.all(pending);
  if (failure) throw failure.error;
  const span = (lastSent - firstSent) / 1000;
  return { latenciesMs, sendLatenessMs, sendRate: span > 0 ? (count - 1) / span : rate };
}

/** SQLite in a fresh file, with Tidings' store pragmas; `synchronous` as the store's configuration sets it. */
export function sqliteCommitFloor(synchronous: string): CommitFloor {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-commit-floor-'));
  onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'floor.db'), { timeout: 5000 });
  db.pragma(`page_size = ${NEW_DATABASE_PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE "Floor" ("id" INTEGER PRIMARY KEY, "at" TEXT NOT NULL, "body" TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO "Floor" ("at", "body") VALUES (?, ?)');
  return {
    measure: (rate, count) =>
      openLoop(rate, count, () => {
        insert.run(new Date().toISOString(), body());
      }),
    async close() {
      db.close();
    },
  };
}

/** PostgreSQL in a fresh schema, on `connections` connections (the server's own synchronous_commit). */
export async function postgresCommitFloor(url: string, connections: number): Promise<CommitFloor> {
  const schema = `tidings_commit_floor_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: connections,
    options: `-c search_path="${schema}"`,
  });
  onCleanup(`drop schema ${schema}`, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(
    `CREATE TABLE "${schema}"."Floor" ("id" BIGSERIAL PRIMARY KEY, "at" TIMESTAMPTZ NOT NULL, "body" TEXT NOT NULL)`,
  );
  const insert = () =>
    pool.query({
      name: 'floor-insert',
      text: 'INSERT INTO "Floor" ("at", "body") VALUES ($1, $2)',
      values: [new Date(), body()],
    });
  // Every connection open and its statement prepared before the first measurement, as Tidings' warm pool.
  await Promise.all(Array.from({ length: connections * 4 }, insert));
  return {
    measure: (rate, count) =>
      openLoop(rate, count, async () => {
        await insert();
      }),
    close: () => pool.end(),
  };
}
