import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { startChildGateway } from '../support/child-gateway.js';
import { migratedDataDir, printedCredentials, tidings, tidingsInProcess } from '../support/cli.js';
import { requestAppToken, temporaryDataDir } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';

/** The token endpoint's answer for these credentials: 200 with a token, or 401 invalid_client. */
const tokenStatus = async (origin: string, clientId: string, clientSecret: string): Promise<number> =>
  (await requestAppToken(origin, clientId, clientSecret)).status;

describe('tidings apps rotate-secret', () => {
  it('issues a new secret; the running gateway refuses the old one at once and accepts the new', async () => {
    const dataDir = await migratedDataDir();
    const created = printedCredentials(
      (await tidings(['apps', 'create', '--host', 'rotate.example.com'], dataDir)).stdout,
    );
    const server = await startChildGateway({}, dataDir);
    const origin = server.url.replace(/\/graphql$/, '');
    // The gateway has now read (and cached) the app with its old secret.
    expect(await tokenStatus(origin, created.clientId, created.clientSecret)).toBe(200);

    const rotated = await tidings(['apps', 'rotate-secret', created.clientId], dataDir);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const renewed = printedCredentials(rotated.stdout);
    expect(renewed.clientId).toBe(created.clientId);
    expect(renewed.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(renewed.clientSecret).not.toBe(created.clientSecret);

    expect(await tokenStatus(origin, created.clientId, created.clientSecret)).toBe(401);
    expect(await tokenStatus(origin, created.clientId, renewed.clientSecret)).toBe(200);
    // The list never shows secrets, old or new.
    const listed = await tidings(['apps', 'list'], dataDir);
    expect(listed.stdout).toContain(created.clientId);
    expect(listed.stdout).not.toContain(renewed.clientSecret);
  });

  it('refuses an unknown client id, a missing one, and an app of an external issuer (exit code 2)', async () => {
    const dataDir = await migratedDataDir();
    const unknown = await tidings(['apps', 'rotate-secret', 'nope'], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('tidings: No app with client id nope (see: tidings apps list).\n');

    const missing = await tidings(['apps', 'rotate-secret'], dataDir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/rotate-secret needs a client id/);

    const external = {
      TIDINGS_EXTERNAL_ISSUER: 'https://login.example.test/',
      TIDINGS_EXTERNAL_JWKS_URL: 'https://login.example.test/keys',
    };
    const registered = await tidings(
      ['apps', 'create', '--host', 'ext.example.com', '--client-id', 'ext-client'],
      dataDir,
      external,
    );
    expect(registered.code).toBe(0);
    const refused = await tidings(['apps', 'rotate-secret', 'ext-client'], dataDir, external);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /ext-client gets its tokens from https:\/\/login\.example\.test\/: rotate its secret there/,
    );
    expect((await tidings(['apps', 'list'], dataDir)).stdout).toMatch(
      /\next-client {2}ext\.example\.com .* https:\/\/login\.example\.test\/\n/,
    );
  });

  it('apps create, list and rotate-secret, and token user, print JSON for scripts with --json', async () => {
    const dataDir = temporaryDataDir();
    const server = await startChildGateway({}, dataDir);
    const origin = server.url.replace(/\/graphql$/, '');
    const inProcess = (args: readonly string[]) => tidingsInProcess([...args, '--data-dir', dataDir]);

    // Through the real bin, as `CREDENTIALS=$(tidings apps create … --json)` would capture it.
    const created = await tidings(
      ['apps', 'create', '--host', 'json.example.com', '--name', 'JSON', '--json'],
      dataDir,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const app = JSON.parse(created.stdout);
    expect(app).toEqual({
      clientId: expect.stringMatching(/^[0-9a-f]{32}$/),
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      targetHostName: 'json.example.com',
      displayName: 'JSON',
      tokenIssuer: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await tokenStatus(origin, app.clientId, app.clientSecret)).toBe(200);

    const listed = await inProcess(['apps', 'list', '--json']);
    expect(listed.code).toBe(0);
    const { clientSecret: _, ...withoutSecret } = app;
    expect(JSON.parse(listed.stdout)).toEqual([withoutSecret]);

    const rotated = await inProcess(['apps', 'rotate-secret', app.clientId, '--json']);
    expect(rotated.code).toBe(0);
    const renewed = JSON.parse(rotated.stdout);
    expect(renewed).toEqual({ ...app, clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(renewed.clientSecret).not.toBe(app.clientSecret);
    expect(await tokenStatus(origin, app.clientId, renewed.clientSecret)).toBe(200);

    const minted = await inProcess([
      'token',
      'user',
      'alice',
      '--app',
      app.clientId,
      '--ttl',
      '600',
      '--json',
    ]);
    expect(minted.code).toBe(0);
    const token = JSON.parse(minted.stdout);
    expect(token).toEqual({
      token: expect.any(String),
      userId: 'alice',
      clientId: app.clientId,
      scopes: [],
      expiresAt: expect.any(String),
    });
    const claims = decodeJwt(token.token);
    expect(Date.parse(token.expiresAt)).toBe((claims.exp as number) * 1000);
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
    const devices = await graphql(
      server.url,
      '{ deviceSubscriptions { edges { node { id } } } }',
      {},
      token.token,
    );
    expect(dataOf(devices)).toEqual({ deviceSubscriptions: { edges: [] } });
  });
});
