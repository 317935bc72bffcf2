import { once } from 'node:events';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChildGateway, startChildGateway } from '../support/child-gateway.js';
import { migratedDataDir, printedCredentials, tidings, tidingsInProcess } from '../support/cli.js';
import { openFeed } from '../support/feed-client.js';
import { temporaryDataDir } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, FEED, feedCursor } from '../support/operations.js';

// `tidings send` posts through the running gateway with an app token it mints from the data directory.
describe('tidings send', () => {
  let dataDir: string;
  let server: ChildGateway;
  let origin: string;
  let clientId: string;
  let userToken: string;
  let unsid: string;

  beforeAll(async () => {
    dataDir = temporaryDataDir();
    server = await startChildGateway({}, dataDir);
    clientId = printedCredentials(
      (await tidings(['apps', 'create', '--host', 'send.example.com'], dataDir)).stdout,
    ).clientId;
    origin = server.url.replace(/\/graphql$/, '');
    userToken = (await tidings(['token', 'user', 'alice', '--app', clientId], dataDir)).stdout.trim();
    unsid = await createDevice(server.url, userToken, 'WEB');
  });

  const send = (args: readonly string[], env: Record<string, string> = {}) =>
    tidings(['send', '--app', clientId, '--unsid', unsid, ...args], dataDir, env);

  it('reaches a live device at once, and replaces a notification posted again with the same --id', async () => {
    const feed = openFeed(server.wsUrl, userToken, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(server.url, userToken),
    });
    const sent = await send([
      '--title',
      'Build finished',
      '--body',
      'All 412 tests passed',
      '--id',
      'build-7',
      '--priority',
      'high',
      '--group',
      'ci',
      '--url',
      origin,
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^CREATED notification \S+ \(id build-7\)\.$/m);
    const change = await feed.next();
    expect(change.kind).toBe('CREATED');
    expect(change.notification).toMatchObject({
      appNotificationId: 'build-7',
      priority: 'HIGH',
      groupName: 'ci',
      payload: { visualContent: { title: 'Build finished', body: 'All 412 tests passed' } },
    });

    // The gateway's /graphql URL works as --url too.
    const again = await send(['--title', 'Build 7 finished', '--id', 'build-7', '--url', server.url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^REPLACED notification /);
    expect((await feed.next()).kind).toBe('REPLACED');
    await feed.close();
  });

  it('posts to a user by id with --user: the notification waits for their first device', async () => {
    const sent = await tidings(
      [
        'send',
        '--app',
        clientId,
        '--user',
        'newcomer',
        '--title',
        'Welcome',
        '--id',
        'welcome-1',
        '--url',
        origin,
      ],
      dataDir,
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^CREATED notification \S+ \(id welcome-1\)\.$/m);
    // The user signs in later (a token for that id) and registers a device: the feed already holds it.
    const newcomer = (await tidings(['token', 'user', 'newcomer', '--app', clientId], dataDir)).stdout.trim();
    await createDevice(server.url, newcomer, 'WEB');
    const feed = await graphql<{ notifications: { edges: Array<{ node: { appNotificationId: string } }> } }>(
      server.url,
      FEED,
      {},
      newcomer,
    );
    expect(dataOf(feed).notifications.edges.map((edge) => edge.node.appNotificationId)).toEqual([
      'welcome-1',
    ]);
  });

  it('prints the outcome as JSON with --json', async () => {
    const args = ['--title', 'JSON', '--id', 'json-1', '--url', origin, '--json', '--data-dir', dataDir];
    const sent = await tidingsInProcess(['send', '--app', clientId, '--unsid', unsid, ...args]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toEqual({
      outcome: 'CREATED',
      id: expect.any(String),
      appNotificationId: 'json-1',
    });
  });

  it('finds the gateway at HOST and PORT of the environment when no --url is given', async () => {
    const port = new URL(origin).port;
    const sent = await send(['--title', 'Default URL'], { PORT: port, HOST: '0.0.0.0' });
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^CREATED notification /);
    // Without --id, each send is a new notification with its own random key.
    const feed = await graphql<{ notifications: { edges: Array<{ node: { appNotificationId: string } }> } }>(
      server.url,
      FEED,
      {},
      userToken,
    );
    expect(dataOf(feed).notifications.edges[0]?.node.appNotificationId).toMatch(/^cli-[0-9a-f-]{36}$/);
  });

  it('refuses mistakes in the command with exit code 2 and one line saying what is wrong', async () => {
    const url = ['--url', origin];
    const cases = [
      [['--title', 'T', ...url], /send needs --app/, ['send', '--unsid', 'u']],
      [['--title', 'T', ...url], /send needs --unsid/, ['send', '--app', 'x']],
      [['--user', 'alice', '--title', 'T', ...url], /send takes --unsid or --user, not both/, null],
      [[...url], /send needs --title/, null],
      [
        ['--title', 'T', '--priority', 'urgent', ...url],
        /--priority must be one of NONE, LOW, HIGH \(got "urgent"\)/,
        null,
      ],
      [['--title', 'T', '--url', 'ftp://example.com'], /--url must be an http:\/\/ or https:\/\/ URL/, null],
      [['--title', 'T', '--colour', 'red', ...url], /unknown option --colour/, null],
      [['--title', 'Two', 'words', ...url], /send takes no "words": quote a title/, null],
    ] as const;
    for (const [args, message, prefix] of cases) {
      const command = [...(prefix ?? ['send', '--app', clientId, '--unsid', unsid]), ...args];
      const result = await tidingsInProcess([...command, '--data-dir', dataDir]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses an unknown app, an unknown UNSID, and a data directory the gateway never used', async () => {
    const unknownApp = await tidings(
      ['send', '--app', 'nope', '--unsid', unsid, '--title', 'T', '--url', origin],
      dataDir,
    );
    expect(unknownApp.code).toBe(2);
    expect(unknownApp.stderr).toMatch(/No app with client id nope/);

    // The rest in this process (the same runCli the bin runs): on a loaded CI run one of four CLI children
    // here passed its 20-s timeout; the bin's exit code is checked above and in the other tests.
    const unknownUnsid = await tidingsInProcess([
      'send',
      '--app',
      clientId,
      '--unsid',
      'not-a-unsid',
      '--title',
      'T',
      '--url',
      origin,
      '--data-dir',
      dataDir,
    ]);
    expect(unknownUnsid.code).toBe(2);
    expect(unknownUnsid.stderr).toMatch(/No device subscription with that UNSID .*\(NOT_FOUND\)/);
    // A UNSID may start with a dash (base64url, one in 64): it is still the value of --unsid.
    const dashed = await tidingsInProcess([
      'send',
      '--app',
      clientId,
      '--unsid',
      '-not-a-unsid',
      '--title',
      'T',
      '--url',
      origin,
      '--data-dir',
      dataDir,
    ]);
    expect(dashed.code).toBe(2);
    expect(dashed.stderr).toMatch(/No device subscription with that UNSID .*\(NOT_FOUND\)/);

    // A data directory of its own: the app is registered there, but no gateway ever made a key in it.
    const otherDir = await migratedDataDir();
    const other = printedCredentials(
      (await tidingsInProcess(['apps', 'create', '--host', 'other.example.com', '--data-dir', otherDir]))
        .stdout,
    );
    const noKey = await tidingsInProcess([
      'send',
      '--app',
      other.clientId,
      '--unsid',
      unsid,
      '--title',
      'T',
      '--url',
      origin,
      '--data-dir',
      otherDir,
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/No signing key in .*start the gateway with this data directory first/);
  });

  it('refuses a token the gateway does not accept (another issuer name) with a hint, exit code 2', async () => {
    const result = await send(['--title', 'T', '--url', origin], { TIDINGS_ISSUER: 'urn:somewhere:else' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused the app token .*\(UNAUTHENTICATED\).*TIDINGS_ISSUER/);
  });

  it('says so when no gateway answers, exit code 1', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const result = await send(['--title', 'T', '--url', closed]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^tidings: Cannot reach the gateway at \S+\/graphql \(ECONNREFUSED\): is `tidings serve` running there\?/,
    );
    const notGraphql = await send(['--title', 'T', '--url', `${origin}/healthz`]);
    expect(notGraphql.code).toBe(1);
    expect(notGraphql.stderr).toMatch(/answered HTTP \d+, not GraphQL/);
  });
});

/** A loopback port nothing listens on: one the system just gave out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
