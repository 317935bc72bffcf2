// `tidings watch` through the real bin against a real gateway: a device's feed printed as it arrives, and
// resumed from its cursor file after the watch is killed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunningCli, startTidings, tidingsInProcess } from '../support/cli.js';
import { createTestClock } from '../support/clock.js';
import { startGateway, type TestGateway, temporaryDataDir } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

// Each start of the real bin takes seconds on a busy machine (tsx compiles the sources).
const START_MS = 60_000;
const SLOW = { timeout: 180_000 };

async function setup(gateway?: TestGateway) {
  const t = gateway ?? (await startGateway());
  const app = await t.registerApp('watch.example.com');
  const appToken = await app.token();
  const userToken = await t.userToken('alice', app.app);
  const post = async (unsid: string, appNotificationId: string, overrides: Record<string, unknown> = {}) => {
    const input = notificationInput(unsid, 'watch.example.com', { appNotificationId, ...overrides });
    const posted = await postNotification(t.url, appToken, input);
    return dataOf(posted).createNotification.notification.id as string;
  };
  return { t, app, userToken, post };
}

/** The JSON Lines of a watch, parsed. */
const updates = (watch: RunningCli) =>
  watch.lines.map(
    (line) =>
      JSON.parse(line) as { type: string; kind?: string; notification?: { appNotificationId: string } },
  );
const changeOf = (appNotificationId: string) => (line: string) =>
  JSON.parse(line).notification?.appNotificationId === appNotificationId;

describe('tidings watch', () => {
  it(
    'prints a notification posted after it started; killed and restarted with its cursor file, prints what came meanwhile and nothing twice',
    SLOW,
    async () => {
      const s = await setup();
      const cursorFile = join(temporaryDataDir(), 'feed.json');
      const args = ['watch', '--url', s.t.origin, '--token', s.userToken, '--create-device', 'terminal'];
      const watchArgs = [...args, '--cursor-file', cursorFile, '--json'];

      const first = startTidings(watchArgs);
      await first.untilStderr(/Watching device \S+ live/, START_MS);
      const { unsid } = JSON.parse(readFileSync(cursorFile, 'utf8')) as { unsid: string };
      expect(first.stderr()).toContain(`Created device subscription ${unsid} (WEB, "terminal")`);
      await s.post(unsid, 'after-start');
      const printed = JSON.parse(await first.untilLine(changeOf('after-start'), 'after-start'));
      // The position is saved once the change is printed: wait for it, then kill the watch outright.
      await until(
        () => JSON.parse(readFileSync(cursorFile, 'utf8')).cursor === printed.cursor,
        'the saved cursor',
      );
      expect(await first.stop('SIGKILL')).toBeNull();

      await s.post(unsid, 'while-away-1');
      await s.post(unsid, 'while-away-2');
      // The same command again: it follows the device its cursor file names instead of making another.
      const second = startTidings(watchArgs);
      await second.untilLine(changeOf('while-away-2'), 'while-away-2', START_MS);
      await second.untilStderr(/Watching device/);
      await s.post(unsid, 'live-again');
      await second.untilLine(changeOf('live-again'), 'live-again');
      // Ctrl-C ends it cleanly.
      expect(await second.stop('SIGINT')).toBe(0);

      expect(updates(first).map((update) => update.type)).toEqual(['snapshot', 'change']);
      expect(updates(first)[0]).toEqual({ type: 'snapshot', reason: 'start', notifications: [] });
      expect(
        updates(second).map((update) => `${update.kind} ${update.notification?.appNotificationId}`),
      ).toEqual(['CREATED while-away-1', 'CREATED while-away-2', 'CREATED live-again']);
      expect(second.stderr()).toContain(`Following device ${unsid} from ${cursorFile}`);
      const devices = await graphql(
        s.t.url,
        '{ deviceSubscriptions { edges { node { id } } } }',
        {},
        s.userToken,
      );
      expect(dataOf(devices)).toEqual({ deviceSubscriptions: { edges: [{ node: { id: unsid } }] } });
    },
  );

  it(
    'prints lines of text after --after, reads a renewed token from --token-file, and stops on SIGTERM',
    SLOW,
    async () => {
      // The gateway's clock stands still until the test moves it, with no tolerance: a token that lasts a
      // second is refused (4403) once the clock passes it, and not before.
      const clock = createTestClock();
      const s = await setup(await startGateway({ now: clock.now, env: { TIDINGS_CLOCK_TOLERANCE: '0' } }));
      const unsid = await createDevice(s.t.url, s.userToken, 'WEB', 'laptop');
      const cursor = await feedCursor(s.t.url, s.userToken);
      const shipped = await s.post(unsid, 'order-42', {
        payload: { visualContent: { title: 'Shipped', body: 'Order 42\nis on its way' } },
      });
      await s.post(unsid, 'phone-only', { targetPolicy: { platformTypes: ['ANDROID'] } });
      const tokenFile = join(temporaryDataDir(), 'token');
      writeFileSync(tokenFile, `${await s.t.userToken('alice', s.app.app, 1)}\n`);

      const watch = startTidings([
        'watch',
        '--url',
        s.t.url,
        '--token-file',
        tokenFile,
        '--unsid',
        unsid,
        '--after',
        cursor,
      ]);
      await watch.untilStderr(/Watching device/, START_MS);
      const line = await watch.untilLine((text) => text.startsWith('CREATED'), 'the CREATED line');
      expect(line).toMatch(/^CREATED {2}order-42 {2}Shipped: Order 42 is on its way {2}cursor=\S+$/);
      // A notification for another platform is not shown here: it never reaches this device.

      // The token runs out; a fresh one waits in the file, read when the gateway refuses the old one.
      writeFileSync(tokenFile, await s.t.userToken('alice', s.app.app));
      clock.advance(2000);
      await watch.untilStderr(/Connection lost \(close code 4403\)/);
      await graphql(
        s.t.url,
        'mutation ($id: ID!) { updateNotificationState(input: { notification: { id: $id }, readState: READ }) { notification { id } } }',
        { id: shipped },
        s.userToken,
      );
      const read = await watch.untilLine(
        (text) => text.startsWith('STATE_CHANGED'),
        'the STATE_CHANGED line',
      );
      expect(read).toMatch(
        /^STATE_CHANGED {2}order-42 {2}Shipped: Order 42 is on its way {2}\[READ, NO_INTERACTION\] {2}cursor=\S+$/,
      );
      expect(watch.stderr()).toMatch(/Live again/);
      expect(await watch.stop('SIGTERM')).toBe(0);
      expect(watch.lines).toHaveLength(2);
    },
  );

  it('ends with exit code 1 when the device subscription is deleted', SLOW, async () => {
    const s = await setup();
    const unsid = await createDevice(s.t.url, s.userToken, 'WEB');
    const watch = startTidings(['watch', '--url', s.t.url, '--token', s.userToken, '--unsid', unsid]);
    await watch.untilStderr(/Watching device/, START_MS);
    // "Watching" says the socket is up; a change printed says the feed is too (deleted before the gateway
    // started it, the device would be NOT_FOUND, a refusal: exit code 2).
    await s.post(unsid, 'live');
    await watch.untilLine((line) => line.includes('live'), 'the first change');
    await graphql(
      s.t.url,
      'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }',
      { id: unsid },
      s.userToken,
    );
    expect(await watch.exited, watch.stderr()).toBe(1);
    expect(watch.stderr()).toMatch(/tidings: The device subscription \S+ was deleted/);
  });

  it('refuses mistakes in the command, and a token, UNSID or cursor the gateway refuses, with exit code 2; an unreachable gateway with 1', async () => {
    const s = await setup();
    const unsid = await createDevice(s.t.url, s.userToken, 'WEB');
    const url = ['--url', s.t.origin];
    const mistakes = [
      [[...url, '--unsid', unsid], /watch needs a user token/],
      [[...url, '--token', s.userToken], /watch needs --unsid UNSID, or --create-device LABEL/],
      [
        [...url, '--token', s.userToken, '--unsid', unsid, '--create-device', 'x'],
        /--unsid or --create-device, not both/,
      ],
      [
        [...url, '--token', s.userToken, '--create-device', 'x', '--platform', 'fridge'],
        /--platform must be one of WEB/,
      ],
      [
        [...url, '--token', s.userToken, '--unsid', unsid, '--after', 'x', '--cursor-file', 'f'],
        /--after or --cursor-file, not both/,
      ],
      [['--url', 'ftp://x', '--token', s.userToken, '--unsid', unsid], /--url must be an http/],
      [[...url, '--token', 'not-a-token', '--unsid', unsid], /refused the token \(UNAUTHENTICATED\)/],
      [[...url, '--token', await s.app.token(), '--unsid', unsid], /needs a user token, not an app token/],
      [[...url, '--token', s.userToken, '--unsid', 'no-such-unsid'], /No device subscription no-such-unsid/],
      // A UNSID may start with a dash (base64url): it is still the value of --unsid.
      [
        [...url, '--token', s.userToken, '--unsid', '-no-such-unsid'],
        /No device subscription -no-such-unsid/,
      ],
      [[...url, '--token', s.userToken, '--unsid', unsid, '--after', 'not-a-cursor'], /BAD_USER_INPUT/],
    ] as const;
    for (const [args, stderr] of mistakes) {
      const result = await tidingsInProcess(['watch', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      // One line saying what is wrong, last (a cursor is refused once the feed is live, after its line).
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^tidings: .*${stderr.source}`));
    }
    const notCursorFile = join(temporaryDataDir(), 'notes.txt');
    writeFileSync(notCursorFile, 'my notes');
    const wrongFile = await tidingsInProcess([
      'watch',
      ...url,
      '--token',
      s.userToken,
      '--unsid',
      unsid,
      '--cursor-file',
      notCursorFile,
    ]);
    expect(wrongFile.code).toBe(2);
    expect(readFileSync(notCursorFile, 'utf8')).toBe('my notes');

    await s.t.close();
    const down = await tidingsInProcess(['watch', ...url, '--token', s.userToken, '--unsid', unsid]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Cannot reach the gateway at \S+ \(ECONNREFUSED\)/);
  });
});

/** Resolves once `check` holds, polling every 20 ms; fails after 10 s. */
async function until(check: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
