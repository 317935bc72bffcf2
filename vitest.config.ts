import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Tests of one provider's tooling, or of the CLI on the embedded defaults: they run once, not per store.
const runOnce = [
  'test/store/migrate-command.test.ts',
  'test/store/postgres-migrations.test.ts',
  'test/store/schemas-in-sync.test.ts',
  'test/graphql/codegen-in-sync.test.ts',
  'test/graphql/schema-descriptions.test.ts', // the schema's text: the store plays no part
  'test/cli/**',
  'test/config/**', // pure: settings, their parsing and their docs
  'test/scripts/**', // the project's scripts: no gateway at all
  'test/websocket/work-once.test.ts',
  'test/websocket/protocol-abuse.test.ts', // transport-level: the store plays no part
  'test/websocket/idle-sockets.test.ts',
  'test/websocket/keep-alive-rounds.test.ts', // the transport's timer: the store plays no part
  'test/store/sqlite-busy.test.ts', // SQLite's own locking
  'test/store/sqlite-write-thread.test.ts', // SQLite's writer thread: always SQLite
  'test/store/sqlite-page-size.test.ts', // SQLite's file format: always SQLite
  'test/store/sqlite-statement-journal.test.ts', // SQLite's temporary files: always SQLite
  'test/http/request-ids.test.ts', // logging and headers: the store plays no part
  'test/http/client-aborts.test.ts', // logging of clients leaving: the store plays no part
  'test/http/cors.test.ts', // headers and preflights: the store plays no part
  'test/http/idle-connections.test.ts', // the HTTP server's keep-alive: the store plays no part
  'test/websocket/origin-check.test.ts', // the upgrade's Origin: refused before any store is asked
  'test/http/readiness.test.ts', // sets up its own stores (SQLite, PostgreSQL) behind proxies
  'test/client/client-outage.test.ts', // always PostgreSQL behind a proxy
  'test/store/postgres-outage.test.ts', // always PostgreSQL behind a proxy
  'test/store/postgres-post-writer.test.ts', // the PostgreSQL writer's own module: always PostgreSQL
  'test/store/tombstone-purge.test.ts', // a race only PostgreSQL's concurrent writers can run: always PostgreSQL
  'test/http/store-outage.test.ts', // always PostgreSQL behind a proxy
  'test/observability/outage-log.test.ts', // sets up its own stores (SQLite, PostgreSQL) behind proxies
  'test/client/client-package.test.ts', // the package as installed: the gateway's store plays no part
  'test/scale-out/**', // always on PostgreSQL + Redis, with several processes
  'test/inbox/**', // a page in a real browser: the store plays no part
  'test/client/other-origin.test.ts', // pages in a real browser: origins and transports, not the store
];

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module). Node, and so Apollo Server and graphql-ws, load
    // the CommonJS build; Vite would give our sources the ESM one, making two GraphQLError classes
    // whose instanceof checks fail across them. Use the build Node uses, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // Builds first: the CLI tests run the real bin, which runs the build (dist/).
    globalSetup: ['test/support/build.ts'],
    setupFiles: ['test/support/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for a condition: up to 10 s, not Vitest's 1 s, which a loaded machine (a browser's
    // service worker woken through the DevTools protocol, files in parallel on 2 cores) can miss.
    expect: { poll: { timeout: 10_000 } },
    // Each file starts its own gateways on port 0 with its own data directory (and on PostgreSQL its
    // own schema and Redis prefix), so files run in parallel.
    pool: 'forks',
    // The same suites on both stores: SQLite + in-memory fan-out, and PostgreSQL + Redis.
    projects: [
      {
        extends: true,
        // SQLite's writes on their thread whatever the machine's CPUs (auto would choose by them).
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          env: { TIDINGS_TEST_SQLITE_WRITE_THREAD: 'on' },
        },
      },
      {
        // SQLite's posts and delivery marks on the event loop, as on one CPU (TIDINGS_SQLITE_WRITE_THREAD):
        // the store's own contract, and what depends on its writes, on that path too.
        extends: true,
        test: {
          name: 'sqlite-loop-writes',
          include: [
            'test/store/*.test.ts',
            'test/delivery/delivery-recorder.test.ts',
            'test/delivery/acknowledgements.test.ts',
            'test/delivery/resume.test.ts',
          ],
          exclude: runOnce,
          env: { TIDINGS_TEST_SQLITE_WRITE_THREAD: 'off' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres+redis',
          include: ['test/**/*.test.ts'],
          exclude: runOnce,
          env: { TIDINGS_TEST_STORE: 'postgres' },
        },
      },
    ],
  },
});
