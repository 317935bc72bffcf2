import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_SCOPE } from '../../src/auth/principal.js';
import { registerExternalApp } from '../../src/auth/register-app.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import {
  type IdentityProvider,
  type IdentityProviderKey,
  startIdentityProvider,
} from '../support/identity-provider.js';
import {
  createDevice,
  feedCursor,
  listDevices,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { initSocket } from '../support/raw-socket.js';

const DEVICES = '{ deviceSubscriptions { edges { node { id } } } }';
const AUDIENCE = 'api://tidings';
const HOST = 'contoso.example.com';

/** Entra ID's shapes: the user is `oid`, the app `appid`, delegated scopes in `scp`, app roles in `roles`. */
const entraEnv = (idp: IdentityProvider, extra: Record<string, string> = {}) => ({
  TIDINGS_EXTERNAL_ISSUER: idp.issuer,
  TIDINGS_EXTERNAL_JWKS_URL: idp.jwksUrl,
  TIDINGS_EXTERNAL_AUDIENCE: AUDIENCE,
  TIDINGS_CLAIM_USER: 'oid',
  TIDINGS_CLAIM_APP: 'appid',
  TIDINGS_CLAIM_SCOPES: 'scp,roles',
  TIDINGS_JWKS_COOLDOWN_MS: '0',
  TIDINGS_CLOCK_TOLERANCE: '30',
  ...extra,
});

/** Opens a raw graphql-transport-ws socket, sends connection_init, and resolves with the close code (or 'ack'). */
const initOutcome = async (wsUrl: string, token: string) => (await initSocket(wsUrl, token)).outcome;

describe('external issuer mode (Entra ID-shaped tokens from a JWKS URL)', () => {
  let idp: IdentityProvider;
  let key: IdentityProviderKey;
  let t: TestGateway;
  const appId = randomUUID();
  const user = (oid: string, claims: Record<string, unknown> = {}) =>
    idp.sign(key, { aud: AUDIENCE, sub: 'pairwise-subject', oid, appid: appId, scp: 'User.Read', ...claims });
  const appToken = (claims: Record<string, unknown> = {}) =>
    idp.sign(key, {
      aud: AUDIENCE,
      sub: 'service-principal',
      oid: 'service-principal',
      idtyp: 'app',
      appid: appId,
      roles: [NOTIFICATIONS_SCOPE],
      ...claims,
    });

  beforeAll(async () => {
    idp = await startIdentityProvider();
    key = await idp.newKey('RS256');
    idp.publish(key);
    t = await startGateway({ env: entraEnv(idp, { TIDINGS_EXTERNAL_ALGORITHMS: 'RS256' }) });
    await registerExternalApp(t.gateway.services.store, {
      targetHostName: HOST,
      clientId: appId,
      issuer: idp.issuer,
    });
  });

  it("delivers what the app posts with the issuer's app token to a device subscribed with its user token", async () => {
    const alice = await user('alice-oid');
    const unsid = await createDevice(t.url, alice, 'WEB');
    const feed = openFeed(t.wsUrl, alice, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, alice),
    });
    const posted = await postNotification(t.url, await appToken(), notificationInput(unsid, HOST));
    expect(dataOf(posted).createNotification.outcome).toBe('CREATED');
    const change = await feed.next();
    expect(change.notification?.id).toBe(dataOf(posted).createNotification.notification.id);
  });

  it('reads the configured claims: the user is oid (not sub), the app is appid, scopes come from roles', async () => {
    const carol = await user('carol-oid');
    const dave = await user('dave-oid'); // the same `sub` as carol: only `oid` tells them apart
    const carolsDevice = await createDevice(t.url, carol, 'WEB');
    expect(await listDevices(t.url, dave)).toEqual([]);
    expect((await listDevices(t.url, carol)).map((d) => d.id)).toEqual([carolsDevice]);

    const noOid = await idp.sign(key, { aud: AUDIENCE, sub: 'x', appid: appId });
    expect((await graphql(t.url, DEVICES, {}, noOid)).status).toBe(401);
    const noAppId = await idp.sign(key, { aud: AUDIENCE, oid: 'x', azp: appId });
    expect((await graphql(t.url, DEVICES, {}, noAppId)).status).toBe(401);
    const unregisteredClient = await user('carol-oid', { appid: randomUUID() });
    const refusedDevice = await graphql(
      t.url,
      'mutation { createDeviceSubscription(input: { platform: WEB, deviceLabel: "x" }) { id } }',
      {},
      unregisteredClient,
    );
    expect(errorCodes(refusedDevice)).toEqual(['FORBIDDEN']);
    const withoutRole = await appToken({ roles: ['Something.Else'] });
    const refused = await postNotification(t.url, withoutRole, notificationInput(carolsDevice, HOST));
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    const unregistered = await appToken({ appid: randomUUID() });
    const refusedApp = await postNotification(t.url, unregistered, notificationInput(carolsDevice, HOST));
    expect(errorCodes(refusedApp)).toEqual(['UNAUTHENTICATED']);
    const otherId = randomUUID();
    await registerExternalApp(t.gateway.services.store, {
      targetHostName: 'other.example.com',
      clientId: otherId,
      issuer: idp.issuer,
    });
    const anotherApp = await appToken({ appid: otherId });
    const foreign = await postNotification(
      t.url,
      anotherApp,
      notificationInput(carolsDevice, 'other.example.com'),
    );
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
  });

  it("binds an app to its issuer: neither issuer's app tokens act for the other's apps", async () => {
    // An app registered here (embedded client credentials), with a device of one of its users.
    const embeddedApp = await t.registerApp('embedded-only.example.com');
    const unsid = await createDevice(t.url, await t.userToken('alice', embeddedApp.app), 'WEB');
    // The external issuer mints an app token naming that app's client id (client ids are not secret).
    const impostor = await appToken({ appid: embeddedApp.app.id });
    const refused = await postNotification(
      t.url,
      impostor,
      notificationInput(unsid, 'embedded-only.example.com'),
    );
    expect(refused.status).toBe(401);
    expect(errorCodes(refused)).toEqual(['UNAUTHENTICATED']);
    const genuine = await postNotification(
      t.url,
      await embeddedApp.token(),
      notificationInput(unsid, 'embedded-only.example.com'),
    );
    expect(dataOf(genuine).createNotification.outcome).toBe('CREATED');
    // The other way round: the embedded token endpoint issues nothing for an app of the external issuer.
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: appId,
      client_secret: 'x',
    });
    const token = await fetch(`${t.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(token.status).toBe(401);
    const embeddedIssued = await t.gateway.issuer.issueAppToken(appId, 60);
    const embeddedForExternal = await postNotification(t.url, embeddedIssued, notificationInput(unsid, HOST));
    expect(errorCodes(embeddedForExternal)).toEqual(['UNAUTHENTICATED']);
  });

  it('lets an app post on behalf of a user with their delegated token (scp), to that user only', async () => {
    const erin = await user('erin-oid');
    const erinsDevice = await createDevice(t.url, erin, 'WEB');
    const delegated = await user('erin-oid', { scp: `User.Read ${NOTIFICATIONS_SCOPE}` });
    const input = notificationInput(erinsDevice, HOST, { deviceSubscriptionId: null });
    const posted = await postNotification(t.url, delegated, input);
    expect(dataOf(posted).createNotification.outcome).toBe('CREATED');
    const otherUser = await createDevice(t.url, await user('frank-oid'), 'WEB');
    const toFrank = await postNotification(t.url, delegated, notificationInput(otherUser, HOST));
    expect(errorCodes(toFrank)).toEqual(['NOT_FOUND']);
  });

  it('refuses tokens built wrong, and honours the configured clock tolerance (30 s)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unpublished = await idp.newKey('RS256');
    const es384 = await idp.newKey('ES256');
    const cases: Record<string, Promise<string> | string> = {
      'wrong audience': user('alice-oid', { aud: 'api://another' }),
      'signed by a key the issuer does not publish': idp.sign(unpublished, {
        aud: AUDIENCE,
        oid: 'a',
        appid: appId,
      }),
      'expired 60 s ago': user('alice-oid', { exp: now - 60 }),
      'not valid for another 60 s': user('alice-oid', { nbf: now + 60 }),
      'HS256 keyed with the public key': new SignJWT({ aud: AUDIENCE, oid: 'a', appid: appId, exp: now + 60 })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuer(idp.issuer)
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${(await user('alice-oid')).split('.')[1]}.`,
      // A published key of a kind the gateway was not told to accept (TIDINGS_EXTERNAL_ALGORITHMS).
      'ES256 when only RS256 is allowed': (async () => {
        idp.publish(key, es384);
        return idp.sign(es384, { aud: AUDIENCE, oid: 'a', appid: appId });
      })(),
      'another issuer, same key': new SignJWT({ aud: AUDIENCE, oid: 'a', appid: appId, exp: now + 60 })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuer('https://evil.example.test')
        .sign(key.privateKey),
    };
    for (const [name, token] of Object.entries(cases)) {
      const response = await graphql(t.gateway.url, DEVICES, {}, await token);
      expect({ name, status: response.status, codes: errorCodes(response) }).toEqual({
        name,
        status: 401,
        codes: ['UNAUTHENTICATED'],
      });
    }
    idp.publish(key);
    // Within the tolerance, both ways: accepted.
    const lateButTolerated = await user('alice-oid', { exp: now - 10 });
    const earlyButTolerated = await user('alice-oid', { nbf: now + 10 });
    expect((await graphql(t.url, DEVICES, {}, lateButTolerated)).status).toBe(200);
    expect((await graphql(t.url, DEVICES, {}, earlyButTolerated)).status).toBe(200);
  });

  it('follows a key rotation at the issuer without a restart, and caches the key set between rotations', async () => {
    const rotated = await idp.newKey('RS256');
    const signedWithNew = () => idp.sign(rotated, { aud: AUDIENCE, oid: 'alice-oid', appid: appId });
    const signedWithOld = () => user('alice-oid');
    expect((await graphql(t.url, DEVICES, {}, await signedWithNew())).status).toBe(401);

    idp.publish(rotated); // the issuer rotates: the new key is published, the old one withdrawn
    expect((await graphql(t.url, DEVICES, {}, await signedWithNew())).status).toBe(200);
    expect(await initOutcome(t.wsUrl, await signedWithNew())).toBe('ack');
    const fetchesAfterRotation = idp.fetches();
    for (let i = 0; i < 20; i += 1) {
      expect((await graphql(t.url, DEVICES, {}, await signedWithNew())).status).toBe(200);
    }
    expect(idp.fetches()).toBe(fetchesAfterRotation);
    // The withdrawn key's tokens are refused once the key set was fetched again.
    expect((await graphql(t.url, DEVICES, {}, await signedWithOld())).status).toBe(401);
    idp.publish(key);
    expect((await graphql(t.url, DEVICES, {}, await signedWithOld())).status).toBe(200);
  });
});

describe('an external issuer whose key set cannot be fetched', () => {
  it('answers 503 over HTTP and closes sockets with 1013, keeps serving embedded tokens, and recovers by itself', async () => {
    const idp = await startIdentityProvider();
    const key = await idp.newKey('ES256');
    idp.publish(key);
    const t = await startGateway({
      env: { ...entraEnv(idp), TIDINGS_EXTERNAL_ALGORITHMS: 'ES256', TIDINGS_JWKS_TIMEOUT_MS: '300' },
    });
    const app = await registerExternalApp(t.gateway.services.store, {
      targetHostName: HOST,
      clientId: randomUUID(),
      issuer: idp.issuer,
    });
    const external = await idp.sign(key, { aud: AUDIENCE, oid: 'alice-oid', appid: app.id });
    const embedded = await t.userToken('alice', app);

    for (const state of ['down', 'hang'] as const) {
      await idp.setState(state);
      const response = await graphql(t.url, DEVICES, {}, external);
      expect({ state, status: response.status, codes: errorCodes(response) }).toEqual({
        state,
        status: 503,
        codes: ['SERVICE_UNAVAILABLE'],
      });
      expect(await initOutcome(t.wsUrl, external)).toBe(1013);
      expect((await graphql(t.url, DEVICES, {}, embedded)).status).toBe(200);
      expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    }

    await idp.setState('up');
    expect((await graphql(t.url, DEVICES, {}, external)).status).toBe(200);
    expect(await initOutcome(t.wsUrl, external)).toBe('ack');
  });
});

describe('external issuer configuration', () => {
  const base = {
    TIDINGS_EXTERNAL_ISSUER: 'https://issuer.example.test/',
    TIDINGS_EXTERNAL_JWKS_URL: 'https://issuer.example.test/keys',
  };

  it('reads the claim names, algorithms and key set timings, with defaults for Entra ID, Auth0 and Keycloak alike', () => {
    const external = loadConfig(base).auth.external;
    expect(external).toMatchObject({
      issuer: base.TIDINGS_EXTERNAL_ISSUER,
      audience: 'tidings',
      algorithms: ['RS256', 'ES256'],
      claims: {
        user: 'sub',
        app: 'azp',
        scopes: ['scope', 'scp', 'roles'],
        tokenType: 'idtyp',
        appTokenType: 'app',
      },
      jwksCooldownMs: 30_000,
    });
    expect(loadConfig({}).auth.external).toBeNull();
  });

  it.each([
    ['a shared-secret algorithm', { ...base, TIDINGS_EXTERNAL_ALGORITHMS: 'RS256,HS256' }],
    ['alg none', { ...base, TIDINGS_EXTERNAL_ALGORITHMS: 'none' }],
    ['an issuer without a key set', { TIDINGS_EXTERNAL_ISSUER: base.TIDINGS_EXTERNAL_ISSUER }],
    ['a key set URL that is not one', { ...base, TIDINGS_EXTERNAL_JWKS_URL: 'keys.json' }],
    ['the embedded issuer’s own name', { ...base, TIDINGS_EXTERNAL_ISSUER: 'urn:tidings:embedded' }],
    ['a clock tolerance over 5 minutes', { TIDINGS_CLOCK_TOLERANCE: '301' }],
  ])('refuses %s at start', (_name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
  });
});
