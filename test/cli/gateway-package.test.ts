// The gateway's own package as an operator installs it: `npm pack`, then the tarball installed into a
// project outside the repository with its production dependencies only, and the README's CLI paths run
// through the installed bin. better-sqlite3 is installed without its install script, which would compile
// it from source (over a minute here), and given the binary our own install built: same package, same
// version, same machine.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startChildGateway } from '../support/child-gateway.js';
import { printedCredentials, tidings } from '../support/cli.js';
import { openFeed } from '../support/feed-client.js';
import { temporaryDataDir } from '../support/gateway.js';
import { createDevice, feedCursor } from '../support/operations.js';
import {
  installTemporaryProject,
  npmPack,
  type PackedPackage,
  temporaryDirectory,
} from '../support/temporary-project.js';

const HOST = 'installed.example.com';
const SQLITE_BINARY = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

let packed: PackedPackage;
let project: string;
/** The installed package's bin, as npm linked it. */
let bin: string;

beforeAll(async () => {
  packed = await npmPack('.', temporaryDirectory('tidings-pack-'));
  project = await installTemporaryProject({ tarballs: [packed], ignoreScripts: true });
  mkdirSync(join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
  copyFileSync(
    fileURLToPath(new URL(`../../${SQLITE_BINARY}`, import.meta.url)),
    join(project, SQLITE_BINARY),
  );
  bin = join(project, 'node_modules/.bin/tidings');
}, 300_000);

describe('the gateway package, installed from its tarball with production dependencies only', () => {
  it('holds the build, the SDL and the migrations; no sources, tests, benchmark or client package', () => {
    const files = packed.files;
    for (const needed of [
      'bin/tidings.js',
      'dist/main.js',
      'dist/store/generated/sqlite/client.js',
      'dist/inbox/page/inbox.js',
      'dist/inbox/page/index.html',
      'schema.graphql',
      'prisma/sqlite/migrations/migration_lock.toml',
      'prisma/postgres/migrations/migration_lock.toml',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((file) => /^(src|test|dist\/client|dist\/tsbuildinfo)\//.test(file))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    // Build tools stay in development: nothing compiles or bundles at run time.
    for (const tool of ['tsx', 'esbuild', 'typescript', 'prisma', '@prisma/schema-engine-wasm']) {
      expect({ tool, installed: existsSync(join(project, 'node_modules', tool)) }).toEqual({
        tool,
        installed: false,
      });
    }
  });

  it('runs the README from the installed bin: an app, a user token, serve, the inbox, a post that arrives', async () => {
    const dataDir = temporaryDataDir();
    // The gateway's first start makes the store and the signing key the other commands use.
    const server = await startChildGateway({}, dataDir, [], bin);
    const created = await tidings(['apps', 'create', '--host', HOST], dataDir, {}, { bin });
    expect(created.code).toBe(0);
    const { clientId } = printedCredentials(created.stdout);
    const minted = await tidings(['token', 'user', 'alice', '--app', clientId], dataDir, {}, { bin });
    expect(minted.code).toBe(0);
    const userToken = minted.stdout.trim();

    const origin = server.url.replace(/\/graphql$/, '');
    // The inbox's script was bundled by the build: served without esbuild.
    const script = await fetch(`${origin}/inbox/inbox.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('graphql-transport-ws');

    const unsid = await createDevice(server.url, userToken, 'WEB');
    const feed = openFeed(server.wsUrl, userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(server.url, userToken),
    });
    const sent = await tidings(
      ['send', '--app', clientId, '--unsid', unsid, '--title', 'Installed', '--url', server.url],
      dataDir,
      {},
      { bin },
    );
    expect(sent.code).toBe(0);
    const change = await feed.next();
    expect(change).toMatchObject({
      kind: 'CREATED',
      notification: { payload: { visualContent: { title: 'Installed' } } },
    });
    await feed.close();
    expect(await server.stop()).toBe(0);
  }, 120_000);
});
