import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parsePostgresUrl, searchPathOption } from '../../src/store/migrations/apply-postgres-migrations.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import {
  createDevice,
  notificationInput,
  postNotification,
  WITH_ANDROID_FALLBACK,
} from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

// Notification's (fallbackDueAt) index holds only the rows with a fallback pending (a partial index): a
// post without one, as most are, writes nothing to it. What the sweeper relies on: every search it makes
// for due fallbacks can still be answered from that index.

const INDEX = 'Notification_fallbackDueAt_pending_idx';
/** The full index it replaced. */
const FORMER_INDEX = 'Notification_fallbackDueAt_idx';

/** A gateway whose sweeper runs only when told, the SQL of every store query it made, and one post of each kind. */
async function gatewayWithPosts() {
  const queries: string[] = [];
  const clock = { now: new Date() };
  const t = await startGateway({
    now: () => clock.now,
    env: { TIDINGS_SWEEP_INTERVAL_MS: '0' },
    onStoreQuery: (sql) => queries.push(sql),
  });
  const app = await t.registerApp('fallback-index.example.com');
  const appToken = await app.token();
  const unsid = await createDevice(t.url, await t.userToken('user', app.app), 'ANDROID');
  for (const overrides of [{}, WITH_ANDROID_FALLBACK]) {
    const posted = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, 'fallback-index.example.com', overrides),
    );
    expect(posted.errors).toBeUndefined();
  }
  return { t, queries, clock };
}

/** A condition or an order on the column (not the column merely selected, nor set by an UPDATE). */
const ON_FALLBACK_DUE = /"fallbackDueAt"\s*(<=?|>=?|=|IS\b)|ORDER BY "fallbackDueAt"/;

/**
 * Every search on the column the sweeper sends in one pass with a fallback due (its existence test and its
 * search for the due ones), and in its look for when the next one falls due (which its timer makes, off
 * here: called on the store).
 */
async function fallbackSearches(t: TestGateway, queries: string[], now: Date): Promise<string[]> {
  queries.length = 0;
  expect((await t.gateway.sweepOnce()).fallbacks).toBe(1);
  await t.gateway.services.store.nextSweepDue(86_400_000, now);
  const searches = queries.filter((sql) => /^\s*SELECT/i.test(sql) && ON_FALLBACK_DUE.test(sql));
  expect(
    searches.some((sql) => /EXISTS \(SELECT 1 FROM "Notification" WHERE "fallbackDueAt" <=/.test(sql)),
  ).toBe(true);
  expect(searches.some((sql) => /WHERE "fallbackDueAt" <= \S+ LIMIT/.test(sql))).toBe(true);
  expect(searches.some((sql) => /"fallbackDueAt" IS NOT NULL\s+ORDER BY "fallbackDueAt"/.test(sql))).toBe(
    true,
  );
  return searches;
}

describe('the fallback index', () => {
  it('holds only notifications with a fallback pending', async () => {
    const { t } = await gatewayWithPosts();
    const definition =
      t.gateway.services.config.databaseProvider === 'sqlite'
        ? (await storeSql<{ sql: string }>(t, `SELECT "sql" FROM sqlite_master WHERE "name" = '${INDEX}'`))[0]
            ?.sql
        : (
            await storeSql<{ indexdef: string }>(
              t,
              `SELECT "indexdef" FROM pg_indexes WHERE "indexname" = '${INDEX}'`,
            )
          )[0]?.indexdef;
    expect(definition).toMatch(/WHERE \(?"?fallbackDueAt"? IS NOT NULL\)?/);
    const former =
      t.gateway.services.config.databaseProvider === 'sqlite'
        ? await storeSql(t, `SELECT 1 FROM sqlite_master WHERE "name" = '${FORMER_INDEX}'`)
        : await storeSql(t, `SELECT 1 FROM pg_indexes WHERE "indexname" = '${FORMER_INDEX}'`);
    expect(former).toEqual([]);
    const [counts] = await storeSql<{ all: number | bigint; pending: number | bigint }>(
      t,
      `SELECT COUNT(*) AS "all", COUNT("fallbackDueAt") AS "pending" FROM "Notification"`,
    );
    expect([Number(counts?.all), Number(counts?.pending)]).toEqual([2, 1]);
  });

  it('answers every search of the sweeper for due fallbacks', async () => {
    const { t, queries, clock } = await gatewayWithPosts();
    clock.now = new Date(clock.now.getTime() + 120_000);
    const searches = await fallbackSearches(t, queries, clock.now);
    const config = t.gateway.services.config;
    if (config.databaseProvider === 'sqlite') {
      const db = new Database(config.databaseUrl.replace(/^file:/, ''), { readonly: true });
      try {
        for (const sql of searches) {
          const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
          // Any value serves the plan: SQLite decides on the index from the query's shape.
          const values = Array.from({ length: sql.split('?').length - 1 }, () => clock.now.toISOString());
          const plan = (explain.all(...values) as Array<{ detail: string }>).map((row) => row.detail);
          expect(
            plan.some((detail) => detail.includes(INDEX)),
            `${sql}\n${plan.join('\n')}`,
          ).toBe(true);
        }
      } finally {
        db.close();
      }
      return;
    }
    // PostgreSQL: the same shapes, each with the planner told to avoid a sequential scan where it can, so
    // the plan shows whether the partial index may serve the search at all (on a table this small the
    // planner would otherwise scan it).
    const { connectionString, schema } = parsePostgresUrl(config.databaseUrl);
    const client = new pg.Client({ connectionString, options: searchPathOption(schema) });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      for (const sql of searches) {
        // A number for its LIMIT, else an untyped literal: PostgreSQL reads it as the column's type.
        const literal = sql.replace(/\$\d+/g, (_, offset: number) =>
          /LIMIT\s*$/i.test(sql.slice(0, offset)) ? '10' : `'${clock.now.toISOString()}'`,
        );
        const plan = (await client.query(`EXPLAIN ${literal}`)).rows.map(
          (row) => row['QUERY PLAN'] as string,
        );
        expect(
          plan.some((line) => line.includes(INDEX)),
          `${literal}\n${plan.join('\n')}`,
        ).toBe(true);
      }
    } finally {
      await client.end();
    }
  });
});
