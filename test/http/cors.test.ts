import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/config.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { CREATE_DEVICE, createDevice } from '../support/operations.js';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://elsewhere.example.net';
const DEV_PAGE = 'http://localhost:5173';
const GRAPH_ROUTES = ['/v1.0/me/notifications', '/beta/me/notifications/'];
const CORS_PATHS = ['/graphql', '/oauth2/token', ...GRAPH_ROUTES];

/** A browser's preflight before a JSON POST with a token, from a page of `origin`. */
const preflight = (t: TestGateway, path: string, origin: string) =>
  fetch(`${t.origin}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

/** The list of a comma-separated header, in lower case. */
const listOf = (response: Response, header: string) =>
  (response.headers.get(header) ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

const listDevices = (t: TestGateway, token: string, headers: Record<string, string>) =>
  fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query: '{ deviceSubscriptions { edges { node { id } } } }' }),
  });

async function userOf(env: Env) {
  const t = await startGateway({ env });
  const app = await t.registerApp('cors.example.com');
  return { t, app, token: await t.userToken('alice', app.app) };
}

describe('browsers on other origins (CORS)', () => {
  it("answers an allowed origin's preflight on every route pages call, with what a page may send", async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN } });
    for (const path of CORS_PATHS) {
      const response = await preflight(t, path, APP_ORIGIN);
      expect(response.status, path).toBe(204);
      expect(response.headers.get('access-control-allow-origin'), path).toBe(APP_ORIGIN);
      expect(listOf(response, 'vary'), path).toContain('origin');
      expect(listOf(response, 'access-control-allow-methods'), path).toEqual(['get', 'post']);
      expect(listOf(response, 'access-control-allow-headers'), path).toEqual(
        expect.arrayContaining([
          'authorization',
          'content-type',
          'apollo-require-preflight',
          'x-request-id',
          'x-uns-id',
          'content-encoding',
        ]),
      );
      expect(Number(response.headers.get('access-control-max-age')), path).toBeGreaterThan(0);
      // Bearer tokens, never cookies: credentials are never allowed.
      expect(response.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
  });

  it('refuses the preflight of an origin not listed (403), exactly: another port or scheme is another origin', async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN } });
    for (const origin of [OTHER_ORIGIN, 'https://app.example.com:8443', 'http://app.example.com', DEV_PAGE]) {
      for (const path of CORS_PATHS) {
        const response = await preflight(t, path, origin);
        expect(response.status, `${origin} ${path}`).toBe(403);
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(listOf(response, 'vary')).toContain('origin');
      }
    }
  });

  it('puts the headers a page reads on every answer to an allowed origin, errors included, and none for others', async () => {
    const { t, token } = await userOf({ TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN });
    const allowed = await listDevices(t, token, { origin: APP_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(listOf(allowed, 'vary')).toContain('origin');
    expect(listOf(allowed, 'access-control-expose-headers')).toEqual(
      expect.arrayContaining(['x-request-id', 'retry-after', 'location', 'www-authenticate']),
    );
    // A 401 must be readable, or the page could not tell an expired token from a blocked request.
    const refused = await listDevices(t, 'not-a-token', { origin: APP_ORIGIN });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const other = await listDevices(t, token, { origin: OTHER_ORIGIN });
    expect(other.status).toBe(200); // answered (a browser then hides it from the page), but not allowed
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-expose-headers')).toBeNull();
    expect(listOf(other, 'vary')).toContain('origin');
    // Routes pages do not call get none at all.
    const health = await fetch(`${t.origin}/healthz`, { headers: { origin: APP_ORIGIN } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(t, '/healthz', APP_ORIGIN)).status).toBe(404);
  });

  it('allows nothing by default in production, and loopback pages on any port by default in development', async () => {
    const production = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    for (const origin of [DEV_PAGE, 'http://127.0.0.1:8080', APP_ORIGIN]) {
      expect((await preflight(production, '/graphql', origin)).status, origin).toBe(403);
    }

    const development = await startGateway();
    for (const origin of [DEV_PAGE, 'http://127.0.0.1:8080', 'https://localhost', 'http://[::1]:3000']) {
      const response = await preflight(development, '/graphql', origin);
      expect(response.status, origin).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    }
    for (const origin of [APP_ORIGIN, 'http://localhost.example.com', 'http://127.0.0.2:8080', 'null']) {
      expect((await preflight(development, '/graphql', origin)).status, origin).toBe(403);
    }
    // A list replaces the development default.
    const listed = await startGateway({ env: { TIDINGS_CORS_ORIGINS: APP_ORIGIN } });
    expect((await preflight(listed, '/graphql', APP_ORIGIN)).status).toBe(204);
    expect((await preflight(listed, '/graphql', DEV_PAGE)).status).toBe(403);
  });

  it('allows every origin with `*`, still without credentials', async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: '*' } });
    for (const origin of [APP_ORIGIN, OTHER_ORIGIN]) {
      const response = await preflight(t, '/graphql', origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it("keeps Apollo's CSRF prevention: a simple cross-origin POST (no preflight) changes nothing, from an allowed origin too", async () => {
    const { t, token } = await userOf({ TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN });
    const body = JSON.stringify({
      query: CREATE_DEVICE,
      variables: { input: { platform: 'WEB', deviceLabel: 'forged' } },
    });
    // What a form or a no-cors fetch may send without a preflight: a CORS-safelisted content type. (A page
    // could not add the token either; it is sent here to show the refusal does not depend on it.)
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      for (const origin of [APP_ORIGIN, OTHER_ORIGIN]) {
        const response = await fetch(t.url, {
          method: 'POST',
          headers: { origin, 'content-type': contentType, authorization: `Bearer ${token}` },
          body,
        });
        expect(response.status, `${contentType} from ${origin}`).toBe(400);
        const answer = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
        expect(answer.errors[0]?.extensions.code).toBe('BAD_REQUEST');
      }
    }
    const devices = await graphql<{ deviceSubscriptions: { edges: unknown[] } }>(
      t.url,
      '{ deviceSubscriptions { edges { node { id } } } }',
      {},
      token,
    );
    expect(dataOf(devices).deviceSubscriptions).toEqual({ edges: [] });
    // The same operation as the client library sends it (JSON, after a preflight) works.
    await createDevice(t.url, token, 'WEB', 'real');
  });

  it("lets an allowed page read the Graph route's answer and the Location of what it created", async () => {
    const { t, app, token } = await userOf({ TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN });
    const unsid = await createDevice(t.url, token, 'WEB');
    const response = await fetch(`${t.origin}/v1.0/me/notifications`, {
      method: 'POST',
      headers: {
        origin: APP_ORIGIN,
        authorization: `Bearer ${await app.token()}`,
        'x-uns-id': unsid,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        targetHostName: 'cors.example.com',
        appNotificationId: 'n-1',
        payload: { visualContent: { title: 'Hello', body: 'World' } },
      }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('location')).toMatch(/^\/v1\.0\/me\/notifications\//);
    expect(listOf(response, 'access-control-expose-headers')).toContain('location');
  });
});
