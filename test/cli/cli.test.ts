import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sqliteWritesOnThread } from '../../src/store/create-store.js';
import { startChildGateway } from '../support/child-gateway.js';
import { migratedDataDir, tidings, tidingsInProcess } from '../support/cli.js';
import { openFeed } from '../support/feed-client.js';
import { temporaryDataDir } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

/** `tidings serve` as the README runs it, on the embedded defaults in `dataDir`. */
const serve = (dataDir: string) => startChildGateway({}, dataDir);

describe('the CLI paths of the README', () => {
  // Five starts of the real bin, each seconds long on a busy machine.
  it('serves, registers an app, mints a user token, and delivers end to end', {
    timeout: 90_000,
  }, async () => {
    const dataDir = temporaryDataDir();
    // The gateway's first start makes the store and the signing key the other commands use.
    const server = await serve(dataDir);
    expect(server.output()).toContain('token user alice --app <client id>');
    // The child runs on the CPUs this process may use: auto decides the same way for both.
    const commits = sqliteWritesOnThread('auto') ? 'a writer thread' : 'the event loop';
    expect(server.output()).toContain(
      `store:    SQLite ${dataDir}/tidings.db (synchronous=FULL; posts commit on ${commits})`,
    );
    const created = await tidings(
      ['apps', 'create', '--host', 'cli.example.com', '--name', 'CLI app'],
      dataDir,
    );
    expect(created.code).toBe(0);
    const clientId = /client id:\s+(\S+)/.exec(created.stdout)?.[1] as string;
    const clientSecret = /client secret:\s+(\S+)/.exec(created.stdout)?.[1] as string;
    expect(clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(clientSecret.length).toBeGreaterThanOrEqual(43);

    const listed = await tidings(['apps', 'list'], dataDir);
    expect(listed.stdout).toMatch(/^CLIENT ID +TARGET HOST +NAME +REGISTERED +TOKENS FROM\n/);
    expect(listed.stdout).toContain(`${clientId}  cli.example.com  CLI app`);
    expect(listed.stdout).not.toContain(clientSecret);

    const minted = await tidings(['token', 'user', 'alice', '--app', clientId], dataDir);
    expect(minted.code).toBe(0);
    const userToken = minted.stdout.trim();

    const origin = server.url.replace(/\/graphql$/, '');
    const tokenResponse = await fetch(`${origin}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const appToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const unsid = await createDevice(server.url, userToken, 'WEB');
    const feed = openFeed(server.url.replace(/^http/, 'ws'), userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(server.url, userToken),
    });
    const posted = await postNotification(server.url, appToken, notificationInput(unsid, 'cli.example.com'));
    expect(dataOf(posted).createNotification.outcome).toBe('CREATED');
    expect((await feed.next()).notification?.id).toBe(dataOf(posted).createNotification.notification.id);

    // SIGTERM: a graceful stop, exit code 0.
    await feed.close();
    expect(await server.stop()).toBe(0);
  });

  it('tokens minted for an unknown app or a missing user are refused with exit code 2', async () => {
    const dataDir = await migratedDataDir();
    // In this process, but for one through the real bin: each start of it takes seconds on a busy machine.
    const inProcess = (args: readonly string[]) => tidingsInProcess([...args, '--data-dir', dataDir]);
    const unknownApp = await tidings(['token', 'user', 'alice', '--app', 'nope'], dataDir);
    expect(unknownApp.code).toBe(2);
    expect(unknownApp.stderr).toMatch(/No app with client id nope/);
    const noUser = await inProcess(['token', 'user', '--app', 'nope']);
    expect(noUser.code).toBe(2);
    const noHost = await inProcess(['apps', 'create']);
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toMatch(/--host/);
    const badHost = await inProcess(['apps', 'create', '--host', 'not a host']);
    expect(badHost.code).toBe(2);
    const unknown = await inProcess(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('refuses every usage mistake with one line on stderr and exit code 2, before touching anything', async () => {
    const dataDir = temporaryDataDir();
    const mistakes = [
      [[], /the command comes first: tidings <command> \[options\]/],
      [['apps'], /the apps command comes first: tidings apps <command>/],
      [
        ['apps', 'create', '--hots', 'x.example.com'],
        /unknown option --hots \(see: tidings apps create --help\)/,
      ],
      [['apps', 'create', '--host'], /--host needs a value/],
      [['apps', 'create', '--host', '--name', 'N'], /--host needs a value/],
      [['apps', 'list', 'extra'], /apps list takes no "extra"/],
      [['apps', 'remove'], /unknown apps command "remove"/],
      [['token', 'admin'], /unknown token command "admin"/],
      [['token', 'user', 'alice', '--app', 'x', '--delegated=yes'], /--delegated takes no value/],
      [
        ['token', 'user', 'alice', '--app', 'x', '--ttl', '1h'],
        /--ttl must be 1 to 86400 seconds \(got "1h"\)/,
      ],
      [['token', 'user', 'alice', 'bob', '--app', 'x'], /takes one user id/],
      [['migrate', '--port', '1'], /unknown option --port/],
      [
        ['migrate', 'dev', '--name', 'x', '--port', '1'],
        /unknown option --port \(see: tidings migrate dev --help\)/,
      ],
      [['migrate', 'reset'], /migrate reset drops all data: pass --force/],
    ] as const;
    for (const [args, stderr] of mistakes) {
      const result = await tidingsInProcess([...args, '--data-dir', dataDir]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(stderr);
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(1);
    }
    // Nothing at all to do: the usage, exit code 2.
    for (const args of [[], ['apps'], ['token']]) {
      const bare = await tidingsInProcess(args);
      expect(bare.code).toBe(2);
      expect(bare.stdout).toMatch(/tidings/);
    }
    // The store was never opened: nothing was created in the data directory.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('says what to check when the database cannot be reached, without printing its URL', async () => {
    const dataDir = temporaryDataDir();
    const down = await tidings(['apps', 'list'], dataDir, {
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/test',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the database .*DATABASE_URL/);
    expect(down.stderr).not.toContain('secret');
    const bad = await tidings(['apps', 'list'], dataDir, { DATABASE_URL: 'mysql://x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/DATABASE_URL must be/);
    // The flag names the store too, and wins over the variable.
    const flagged = await tidingsInProcess(
      ['apps', 'list', '--database-url', 'mysql://x', '--data-dir', dataDir],
      {
        DATABASE_URL: `file:${dataDir}/tidings.db`,
      },
    );
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toBe(
      'tidings: --database-url must be a file: or postgres: or postgresql: URL such as file:./data/tidings.db or postgres://host/db.\n',
    );
  });

  it('refuses a second app with the same host name', async () => {
    const dataDir = await migratedDataDir();
    expect((await tidings(['apps', 'create', '--host', 'twice.example.com'], dataDir)).code).toBe(0);
    const again = await tidings(['apps', 'create', '--host', 'twice.example.com'], dataDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already registered/);
  });

  it('prints help for every command', async () => {
    const dataDir = temporaryDataDir();
    const commands = [
      [[], /Usage: tidings <command>/],
      [['serve'], /--max-body-bytes N\s+\(TIDINGS_MAX_BODY_BYTES; 1024–10485760; default 102400\)/],
      [['migrate'], /tidings migrate dev --name <name>/],
      [['migrate', 'dev'], /tidings migrate dev --name <name> \[--create-only\]/],
      [['migrate', 'deploy'], /tidings migrate deploy/],
      [['migrate', 'status'], /tidings migrate status/],
      [['migrate', 'diff'], /tidings migrate diff/],
      [['migrate', 'reset'], /tidings migrate reset \[--force\]/],
      [['apps'], /tidings apps rotate-secret <client id>/],
      [['apps', 'create'], /tidings apps create --host/],
      [['apps', 'list'], /tidings apps list/],
      [['apps', 'rotate-secret'], /The old secret stops working/],
      [['token'], /tidings token user/],
      [['token', 'user'], /tidings token user/],
      [['send'], /tidings send --app <client id> \(--unsid <UNSID> \| --user <user id>\)/],
      [['keys'], /tidings keys rotate/],
      [['keys', 'list'], /signing-key\.previous\.json/],
      [['keys', 'stage'], /signing-key\.next\.json/],
      [['keys', 'rotate'], /delete signing-key\.previous\.json/],
      [['watch'], /tidings watch \(--token TOKEN \| --token-file FILE\)/],
    ] as const;
    for (const [command, expected] of commands) {
      const result = await tidingsInProcess([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toMatch(expected);
    }
    // --help wins over anything else on the line, even an option the command does not take.
    expect((await tidingsInProcess(['send', '--frobnicate', '--help'])).code).toBe(0);
    // And through the real bin, as a person types it.
    const viaBin = await tidings(['apps', 'rotate-secret', '--help'], dataDir);
    expect(viaBin.code).toBe(0);
    expect(viaBin.stdout).toMatch(/tidings apps rotate-secret <client id>/);
  });

  it('rejects a user token for another audience with 401 (sanity of the minted claims)', async () => {
    const dataDir = temporaryDataDir();
    const server = await serve(dataDir);
    const created = await tidings(['apps', 'create', '--host', 'aud.example.com'], dataDir);
    const clientId = /client id:\s+(\S+)/.exec(created.stdout)?.[1] as string;
    const token = (await tidings(['token', 'user', 'alice', '--app', clientId], dataDir)).stdout.trim();
    const [, payload] = token.split('.');
    expect(JSON.parse(Buffer.from(payload as string, 'base64url').toString())).toMatchObject({
      iss: 'urn:tidings:embedded',
      aud: 'tidings',
      sub: 'alice',
      azp: clientId,
      idtyp: 'user',
    });
    expect(
      errorCodes(
        await graphql(server.url, '{ deviceSubscriptions { edges { node { id } } } }', {}, `${token}x`),
      ),
    ).toEqual(['UNAUTHENTICATED']);
  });
});
