import { CompactEncrypt, type CryptoKey, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerExternalApp, rotateAppSecret } from '../../src/auth/register-app.js';
import { loadOrCreateSigningKey } from '../../src/auth/signing-key.js';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { onCleanup } from '../support/cleanup.js';
import { fetchAppToken, startGateway, storeEnv, type TestApp, type TestGateway } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';

const DEVICES = '{ deviceSubscriptions { edges { node { id } } } }';

/** Opens a raw graphql-transport-ws socket, sends connection_init, and resolves with the close code. */
function initAndAwaitClose(wsUrl: string, connectionParams: Record<string, unknown>): Promise<number> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  onCleanup(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })),
    );
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack')
        reject(new Error('connection was acknowledged'));
    });
    socket.on('close', (code) => resolve(code));
    socket.on('error', reject);
  });
}

describe('bearer tokens over HTTP and WebSocket', () => {
  let t: TestGateway;
  let app: TestApp;
  const bad: Record<string, string> = {};
  let control = '';

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('auth.example.com');
    const good = await t.userToken('alice', app.app);
    const { privateKey: foreignKey } = await generateKeyPair('ES256');
    const claims = { idtyp: 'user', azp: app.app.id };
    const sign = (key: CryptoKey, build: (jwt: SignJWT) => SignJWT) =>
      build(new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setSubject('alice')).sign(key);
    bad['expired'] = await t.userToken('alice', app.app, -120);
    bad['signed by another key'] = await sign(foreignKey, (jwt) =>
      jwt.setIssuer('urn:tidings:embedded').setAudience('tidings').setExpirationTime('5m'),
    );
    bad['tampered payload'] = (() => {
      const [header, payload, signature] = good.split('.') as [string, string, string];
      const claimsOf = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claimsOf, sub: 'mallory' })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    })();
    // Signed with the gateway's own key, each with one thing wrong, so each check is shown to refuse.
    const { privateKey: gatewayKey, kid, publicJwk } = await loadOrCreateSigningKey(t.dataDir);
    const withGatewayKey = (build: (jwt: SignJWT) => SignJWT, header: Record<string, unknown> = {}) =>
      build(
        new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, ...header }).setSubject('alice'),
      ).sign(gatewayKey);
    const proper = (jwt: SignJWT) =>
      jwt.setIssuer('urn:tidings:embedded').setAudience('tidings').setExpirationTime('5m');
    control = await withGatewayKey(proper);
    bad['wrong audience'] = await withGatewayKey((jwt) => proper(jwt).setAudience('another-api'));
    bad['wrong issuer'] = await withGatewayKey((jwt) => proper(jwt).setIssuer('https://evil.example'));
    bad['no exp'] = await withGatewayKey((jwt) =>
      jwt.setIssuer('urn:tidings:embedded').setAudience('tidings'),
    );
    bad['nbf in the future'] = await withGatewayKey((jwt) => proper(jwt).setNotBefore('1h'));
    bad['unknown kid'] = await withGatewayKey(proper, { kid: 'not-our-key' });
    // Algorithm confusion: HMAC keyed with the published public key.
    bad['HS256 keyed with the public key'] = await proper(
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).setSubject('alice'),
    ).sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    bad['a JWE'] = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify({ ...claims, sub: 'alice' })),
    )
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(32));
    bad['alg none'] = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${good.split('.')[1]}.`;
    bad['not a JWT'] = 'hello';
  });

  it('answers 401 with a Bearer challenge when the token is missing', async () => {
    const response = await graphql(t.url, DEVICES);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('accepts the control token built the same way with nothing wrong', async () => {
    expect(errorCodes(await graphql(t.url, DEVICES, {}, control))).toEqual([]);
  });

  it('answers 401 for every invalid token', async () => {
    for (const [name, token] of Object.entries(bad)) {
      const response = await graphql(t.url, DEVICES, {}, token);
      expect({ name, status: response.status, codes: errorCodes(response) }).toEqual({
        name,
        status: 401,
        codes: ['UNAUTHENTICATED'],
      });
    }
  });

  it('closes the WebSocket with 4403 for a missing or invalid token', async () => {
    expect(await initAndAwaitClose(t.wsUrl, {})).toBe(4403);
    for (const token of Object.values(bad)) {
      expect(await initAndAwaitClose(t.wsUrl, { authorization: `Bearer ${token}` })).toBe(4403);
    }
  });

  it('acknowledges a WebSocket with a valid token', async () => {
    const token = await t.userToken('alice', app.app);
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    onCleanup(() => socket.terminate());
    const first = await new Promise<string>((resolve, reject) => {
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
        ),
      );
      socket.on('message', (data) => resolve(JSON.parse(String(data)).type));
      socket.on('error', reject);
    });
    expect(first).toBe('connection_ack');
  });
});

describe('embedded issuer endpoints', () => {
  let t: TestGateway;
  let app: TestApp;

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('issuer.example.com');
  });

  const tokenRequest = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${t.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });

  it('publishes its public key, and only the public part', async () => {
    const response = await fetch(`${t.origin}/.well-known/jwks.json`);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid: expect.any(String),
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('issues an app token for client credentials in the body or with HTTP Basic', async () => {
    const inBody = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: app.app.id,
      client_secret: app.clientSecret,
    });
    const basic = Buffer.from(`${app.app.id}:${app.clientSecret}`).toString('base64');
    const withBasic = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${basic}` },
    );
    for (const response of [inBody, withBasic]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'Notifications.ReadWrite.CreatedByApp',
      });
      // The token works: an app may call createNotification (here refused only for the unknown UNSID).
      const response2 = await graphql(
        t.url,
        'mutation { createNotification(input: { deviceSubscriptionId: "x", appNotificationId: "a", targetHostName: "issuer.example.com", payload: { rawContent: "r" } }) { outcome } }',
        {},
        body.access_token as string,
      );
      expect(errorCodes(response2)).toEqual(['NOT_FOUND']);
    }
  });

  it('refuses wrong credentials, grants and content types as RFC 6749 says', async () => {
    const wrongSecret = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: app.app.id,
      client_secret: 'nope',
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const basic = Buffer.from(`${app.app.id}:nope`).toString('base64');
    const wrongBasic = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${basic}` },
    );
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get('www-authenticate')).toMatch(/^Basic/);
    const unknownClient = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'x',
    });
    expect(unknownClient.status).toBe(401);
    const password = await tokenRequest({
      grant_type: 'password',
      client_id: app.app.id,
      client_secret: app.clientSecret,
    });
    expect(password.status).toBe(400);
    expect(await password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const scope = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: app.app.id,
      client_secret: app.clientSecret,
      scope: 'admin',
    });
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
    const json = await fetch(`${t.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('client secret rotation', () => {
  it('refuses the old secret at once on a gateway that cached the app, and accepts the new one', async () => {
    const t = await startGateway();
    const app = await t.registerApp('rotation.example.com');
    await app.token(); // the gateway has read, and cached, the app with its old secret
    // Another process (the CLI) rotates it through a store of its own on the same database.
    const other = await createStore(loadConfig(await storeEnv(t.dataDir), { dataDir: t.dataDir }));
    onCleanup(() => other.close());
    const { clientSecret } = await rotateAppSecret(other, app.app.id);
    expect(clientSecret).not.toBe(app.clientSecret);
    await expect(fetchAppToken(t.origin, app.app.id, app.clientSecret)).rejects.toThrow(/401/);
    expect(await fetchAppToken(t.origin, app.app.id, clientSecret)).toMatch(/^ey/);
  });

  it('rotates only apps of the embedded issuer, and says NOT_FOUND for an unknown one', async () => {
    const t = await startGateway();
    const { store } = t.gateway.services;
    const external = await registerExternalApp(store, {
      targetHostName: 'ext-rotation.example.com',
      clientId: 'ext-rotation',
      issuer: 'https://login.example.test/',
    });
    const before = await store.findApp(external.id, { fresh: true });
    await expect(rotateAppSecret(store, external.id)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await store.setAppSecretHash(external.id, 'f'.repeat(64))).toBe(false);
    expect((await store.findApp(external.id, { fresh: true }))?.secretHash).toBe(before?.secretHash);
    await expect(rotateAppSecret(store, 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
