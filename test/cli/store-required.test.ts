// Only `serve` and `migrate` make a store. Every other command run from the wrong directory, or with a
// mistyped --data-dir, used to make a new empty one beside the caller and print credentials into it that
// the gateway never saw (its token endpoint then answered 401 invalid_client).
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDirectory, readMigrationFiles } from '../../src/store/migrations/migration-files.js';
import { onCleanup } from '../support/cleanup.js';
import { tidings, tidingsInProcess } from '../support/cli.js';
import { temporaryDataDir } from '../support/gateway.js';
import { connectPostgres, createTestSchema, testPostgresUrl } from '../support/postgres.js';

/** Every command that opens the store, but serve and migrate. */
const STORE_COMMANDS = [
  ['apps', 'create', '--host', 'lost.example.com'],
  ['apps', 'list'],
  ['apps', 'rotate-secret', 'some-client'],
  ['token', 'user', 'alice', '--app', 'some-client'],
  ['send', '--app', 'some-client', '--unsid', 'some-unsid', '--title', 'T', '--url', 'http://127.0.0.1:1'],
] as const;

function temporaryDirectory(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tidings-elsewhere-')));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('commands other than serve and migrate never make a store', () => {
  it('run from another directory, apps create refuses (exit code 2), says where it looked and how to point it at the gateway, and leaves nothing', async () => {
    const elsewhere = temporaryDirectory();
    const result = await tidings(
      ['apps', 'create', '--host', 'lost.example.com'],
      null,
      { DATABASE_URL: '', TIDINGS_DATA_DIR: '' },
      { cwd: elsewhere },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [line, ...more] = result.stderr.trim().split('\n');
    expect(more).toEqual([]);
    expect(line).toContain(`the data directory ${join(elsewhere, 'data')}`);
    for (const way of ['--data-dir', 'TIDINGS_DATA_DIR', '--database-url', 'DATABASE_URL']) {
      expect(line).toContain(way);
    }
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('with a mistyped --data-dir or TIDINGS_DATA_DIR, every store command refuses and creates nothing', async () => {
    const parent = temporaryDirectory();
    const typo = join(parent, 'dta');
    for (const command of STORE_COMMANDS) {
      const flagged = await tidingsInProcess([...command, '--data-dir', typo]);
      expect(flagged.code, command.join(' ')).toBe(2);
      expect(flagged.stderr).toContain(`the data directory ${typo} (--data-dir)`);
      const variable = await tidingsInProcess(command, { TIDINGS_DATA_DIR: typo });
      expect(variable.code, command.join(' ')).toBe(2);
      expect(variable.stderr).toContain(`the data directory ${typo} (TIDINGS_DATA_DIR)`);
    }
    const file = join(parent, 'tidings.db');
    const named = await tidingsInProcess(['apps', 'list', '--database-url', `file:${file}`]);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`at ${file} (--database-url): ${file} does not exist`);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('refuses a SQLite file without Tidings tables, and one that lacks migrations until tidings migrate', async () => {
    const dataDir = temporaryDataDir();
    const file = join(dataDir, 'tidings.db');
    writeFileSync(file, '');
    const empty = await tidingsInProcess([
      'apps',
      'create',
      '--host',
      'x.example.com',
      '--data-dir',
      dataDir,
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`${file} holds no Tidings tables`);
    expect(statSync(file).size).toBe(0);

    // A store made by an older version: every migration but the last one.
    const migrations = readMigrationFiles(migrationsDirectory('sqlite'));
    const last = migrations.at(-1)?.name as string;
    const older = temporaryDirectory();
    cpSync(migrationsDirectory('sqlite'), older, { recursive: true });
    rmSync(join(older, last), { recursive: true });
    const behindDir = temporaryDataDir();
    const deployed = await tidingsInProcess([
      'migrate',
      'deploy',
      '--migrations',
      older,
      '--data-dir',
      behindDir,
    ]);
    expect(deployed.code).toBe(0);
    const behind = await tidingsInProcess(['apps', 'list', '--data-dir', behindDir]);
    expect(behind.code).toBe(2);
    expect(behind.stderr).toContain(`lacks 1 migration(s) (${last}): run \`tidings migrate\``);

    expect((await tidingsInProcess(['migrate', '--data-dir', behindDir])).code).toBe(0);
    const listed = await tidingsInProcess(['apps', 'list', '--data-dir', behindDir]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
  });

  it('refuses a PostgreSQL schema without Tidings tables rather than migrating it, and a database that does not exist', async () => {
    const { url, schema } = await createTestSchema();
    const postgres = await connectPostgres();
    const tablesIn = async (name: string) =>
      (
        await postgres.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [
          name,
        ])
      ).rowCount;

    const created = await tidingsInProcess([
      'apps',
      'create',
      '--host',
      'pg.example.com',
      '--database-url',
      url,
    ]);
    expect(created.code).toBe(2);
    expect(created.stderr).toMatch(
      new RegExp(
        `^tidings: No Tidings store in schema "${schema}" of database "test" on \\S+ \\(--database-url\\): the schema holds no Tidings tables\\.`,
      ),
    );
    expect(await tablesIn(schema)).toBe(0);

    // A schema that does not exist is not made either.
    const absent = `tidings_test_absent_${randomBytes(6).toString('hex')}`;
    const missingSchema = new URL(url);
    missingSchema.searchParams.set('schema', absent);
    const inAbsent = await tidingsInProcess(['apps', 'list'], { DATABASE_URL: missingSchema.toString() });
    expect(inAbsent.code).toBe(2);
    expect(inAbsent.stderr).toMatch(/\(DATABASE_URL\): the schema holds no Tidings tables/);
    const namespaces = await postgres.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [absent]);
    expect(namespaces.rowCount).toBe(0);

    const noDatabase = new URL(testPostgresUrl());
    noDatabase.pathname = `/tidings_test_absent_${randomBytes(6).toString('hex')}`;
    const inNoDatabase = await tidingsInProcess(['apps', 'list', '--database-url', noDatabase.toString()]);
    expect(inNoDatabase.code).toBe(2);
    expect(inNoDatabase.stderr).toMatch(/: there is no database "tidings_test_absent_[0-9a-f]+" on /);

    // tidings migrate makes it a Tidings store; then apps create registers the app.
    expect((await tidingsInProcess(['migrate', '--database-url', url])).code).toBe(0);
    const registered = await tidingsInProcess([
      'apps',
      'create',
      '--host',
      'pg.example.com',
      '--database-url',
      url,
    ]);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
  });
});
