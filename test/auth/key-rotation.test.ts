import { chmodSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { tidingsInProcess } from '../support/cli.js';
import {
  fetchAppToken,
  startGateway,
  storeEnv,
  type TestGateway,
  temporaryDataDir,
} from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';

const HOST = 'rotation.example.com';
const DEVICES = '{ deviceSubscriptions { edges { node { id } } } }';

/** The codes a user token gets for a query of its own devices: [] accepted, UNAUTHENTICATED refused. */
const userCodes = async (t: TestGateway, token: string) =>
  errorCodes(await graphql(t.url, DEVICES, {}, token));
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const jwksKids = async (t: TestGateway) =>
  ((await (await fetch(`${t.origin}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
    (key) => key.kid,
  );

/** `tidings keys …` on the data directory (in this process: the same runner as the bin). */
async function keys(command: 'list' | 'stage' | 'rotate', dataDir: string) {
  const result = await tidingsInProcess(['keys', command, '--data-dir', dataDir]);
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  return result.stdout;
}

describe('rotating the signing key', () => {
  it('keeps accepting what the previous key signed until its file is removed', async () => {
    const dataDir = temporaryDataDir();
    const before = await startGateway({ dataDir });
    const app = await before.registerApp(HOST);
    const oldAppToken = await app.token();
    const oldUserToken = await before.userToken('alice', app.app);
    const unsid = await createDevice(before.url, oldUserToken, 'WEB');
    await before.close();

    const rotated = await keys('rotate', dataDir);
    const listed = await keys('list', dataDir);
    expect(listed.split('\n').map((line) => line.split(/\s+/)[0])).toEqual(['active', 'previous', '']);
    expect(listed).toContain(kidOf(oldAppToken) as string);
    expect(rotated).toContain(kidOf(oldAppToken) as string);

    // After a restart: new tokens carry the new key; old ones still work, on both kinds of token.
    const after = await startGateway({ dataDir });
    const newAppToken = await fetchAppToken(after.origin, app.app.id, app.clientSecret);
    expect(kidOf(newAppToken)).not.toBe(kidOf(oldAppToken));
    expect(new Set(await jwksKids(after))).toEqual(new Set([kidOf(oldAppToken), kidOf(newAppToken)]));
    expect(await userCodes(after, oldUserToken)).toEqual([]);
    for (const token of [oldAppToken, newAppToken]) {
      expect(errorCodes(await postNotification(after.url, token, notificationInput(unsid, HOST)))).toEqual(
        [],
      );
    }
    await after.close();

    // The rotation window ends: without the previous key, its tokens are refused, and only those.
    rmSync(join(dataDir, 'signing-key.previous.json'));
    const later = await startGateway({ dataDir });
    expect(await jwksKids(later)).toEqual([kidOf(newAppToken)]);
    expect(await userCodes(later, oldUserToken)).toEqual(['UNAUTHENTICATED']);
    expect(await userCodes(later, await later.userToken('alice', app.app))).toEqual([]);
  });

  it('stages the next key first, so a process not yet restarted accepts what rotated ones sign', async () => {
    const dataDir = temporaryDataDir();
    const first = await startGateway({ dataDir });
    const app = await first.registerApp(HOST);
    await first.close();

    // Stage, and restart: this process still signs with the current key and verifies the next one.
    const staged = await keys('stage', dataDir);
    expect(await keys('stage', dataDir)).toBe(staged); // staging twice keeps the one staged
    const notYetRotated = await startGateway({ dataDir });
    const signedBefore = await notYetRotated.userToken('alice', app.app);

    // Another process rotates and signs with the staged key (here the CLI, which signs with the data
    // directory's key as a restarted gateway would).
    await keys('rotate', dataDir);
    const env = (await storeEnv(dataDir)) as Record<string, string | undefined>;
    const minted = await tidingsInProcess(
      ['token', 'user', 'alice', '--app', app.app.id, '--data-dir', dataDir],
      env,
    );
    expect(minted.code).toBe(0);
    const signedAfter = minted.stdout.trim();
    expect(kidOf(signedAfter)).not.toBe(kidOf(signedBefore));
    expect(staged).toContain(kidOf(signedAfter) as string);
    expect(await userCodes(notYetRotated, signedAfter)).toEqual([]);
    await notYetRotated.close();

    // And a restarted process accepts what the one not yet restarted signed (the previous key).
    const restarted = await startGateway({ dataDir });
    expect(await userCodes(restarted, signedBefore)).toEqual([]);
    expect(await userCodes(restarted, signedAfter)).toEqual([]);
  });

  it('leaves a key file that is already private as it is (a read-only secret mount), and makes others private', async () => {
    const dataDir = temporaryDataDir();
    await (await startGateway({ dataDir })).close();
    const keyFile = join(dataDir, 'signing-key.json');
    const modeAfterStart = async () => {
      await (await startGateway({ dataDir })).close();
      return statSync(keyFile).mode & 0o777;
    };
    chmodSync(keyFile, 0o400);
    expect(await modeAfterStart()).toBe(0o400);
    chmodSync(keyFile, 0o644);
    expect(await modeAfterStart()).toBe(0o600);
  });

  it('refuses to rotate a data directory without a signing key, in one line with exit code 2', async () => {
    const result = await tidingsInProcess(['keys', 'rotate', '--data-dir', temporaryDataDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^tidings: no signing key in /);
  });
});
