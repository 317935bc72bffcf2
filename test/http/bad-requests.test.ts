import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { CREATE_NOTIFICATION, createDevice, notificationInput } from '../support/operations.js';

// Requests in a form the gateway must refuse, each carrying a createNotification mutation with a valid
// app token: the status, the coded error, no `data`, and no notification written. The last test sends
// the same mutation well-formed and sees it written, so "nothing written" is not vacuous.

/** The mutation of a row: a fresh notification for the test device. */
interface Mutation {
  readonly query: string;
  readonly variables: { readonly input: Record<string, unknown> };
}

type Body = string | Uint8Array | URLSearchParams | FormData | ReadableStream<Uint8Array>;

interface Sent {
  readonly method?: 'GET' | 'POST';
  /** The query string of a GET. */
  readonly search?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: Body;
}

interface BadRequest {
  readonly name: string;
  readonly send: (mutation: Mutation) => Sent;
  readonly status: number;
  readonly code: string;
  /** Where the code alone does not tell why (BAD_REQUEST), what the message must mention. */
  readonly reason?: RegExp;
  /** Response headers the refusal must carry. */
  readonly headers?: Record<string, string>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const CSRF = /Cross-Site Request Forgery/;
const LIMIT = 102_400; // TIDINGS_MAX_BODY_BYTES default
const json = (value: unknown) => JSON.stringify(value);
const post = (body: Body, headers: Record<string, string> = JSON_TYPE): Sent => ({
  method: 'POST',
  headers,
  body,
});
/** The mutation as GET parameters (GraphQL over HTTP §GET). */
const getParams = (m: Mutation, extra: Record<string, string> = {}): Record<string, string> => ({
  query: m.query,
  variables: json(m.variables),
  ...extra,
});
/** A named copy of the mutation, for operationName rows. */
const named = (m: Mutation, name: string) => m.query.replace(/^mutation /, `mutation ${name} `);
/** `bytes` of JSON sent in 16 KB chunks with no content-length (chunked transfer encoding). */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 16_384));
      at += 16_384;
    },
  });
}

const badRequests: BadRequest[] = [
  // Batching is off (README: "no batched HTTP requests"), even for a batch of one.
  {
    name: 'a batch of one (JSON array body)',
    send: (m) => post(json([m])),
    status: 400,
    code: 'BAD_REQUEST',
    reason: /batching/i,
  },
  {
    name: 'a batch of two (JSON array body)',
    send: (m) => post(json([m, m])),
    status: 400,
    code: 'BAD_REQUEST',
    reason: /batching/i,
  },
  // CSRF prevention: a body a browser may send cross-origin without a preflight is refused unless a
  // header only a preflighted request can carry is there.
  {
    name: 'CSRF: text/plain',
    send: (m) => post(json(m), { 'content-type': 'text/plain' }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  {
    name: 'CSRF: text/plain;charset=UTF-8 (what fetch sends for a string)',
    send: (m) => post(json(m), { 'content-type': 'text/plain;charset=UTF-8' }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  {
    name: 'CSRF: application/x-www-form-urlencoded',
    send: (m) =>
      post(new URLSearchParams({ query: m.query, variables: json(m.variables) }), {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  {
    name: 'CSRF: multipart/form-data (an upload-style request)',
    send: (m) => {
      const form = new FormData();
      form.set('operations', json(m));
      form.set('map', '{}');
      return post(form, {}); // fetch sets multipart/form-data with its boundary
    },
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  {
    name: 'CSRF: no content-type',
    send: (m) => post(new TextEncoder().encode(json(m)), {}),
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  // With a preflight header the request is no CSRF, but only a JSON body is GraphQL.
  {
    name: 'text/plain with apollo-require-preflight (still not JSON)',
    send: (m) => post(json(m), { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: /content-type/i,
  },
  {
    name: 'multipart/form-data with apollo-require-preflight (no uploads)',
    send: (m) => {
      const form = new FormData();
      form.set('operations', json(m));
      form.set('map', '{}');
      return post(form, { 'apollo-require-preflight': 'true' });
    },
    status: 400,
    code: 'BAD_REQUEST',
    reason: /content-type/i,
  },
  {
    name: 'no content-type with x-apollo-operation-name (still not JSON)',
    send: (m) => post(new TextEncoder().encode(json(m)), { 'x-apollo-operation-name': 'Post' }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: /content-type/i,
  },
  // A mutation over GET: refused by CSRF prevention without a preflight header, else by method (405).
  {
    name: 'GET with a mutation, no preflight header',
    send: (m) => ({ method: 'GET', search: getParams(m) }),
    status: 400,
    code: 'BAD_REQUEST',
    reason: CSRF,
  },
  {
    name: 'GET with a mutation and apollo-require-preflight',
    send: (m) => ({
      method: 'GET',
      search: getParams(m),
      headers: { 'apollo-require-preflight': 'true' },
    }),
    status: 405,
    code: 'BAD_REQUEST',
    reason: /mutation/,
    headers: { allow: 'POST' },
  },
  {
    name: 'GET with a named mutation and x-apollo-operation-name',
    send: (m) => ({
      method: 'GET',
      search: getParams({ ...m, query: named(m, 'Post') }, { operationName: 'Post' }),
      headers: { 'x-apollo-operation-name': 'Post' },
    }),
    status: 405,
    code: 'BAD_REQUEST',
    reason: /mutation/,
    headers: { allow: 'POST' },
  },
  // The body.
  {
    name: 'malformed JSON',
    send: (m) => post(json(m).slice(0, -10)),
    status: 400,
    code: 'BAD_REQUEST',
    reason: /JSON/,
  },
  { name: 'an empty body', send: () => post(''), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'a body that is a JSON string',
    send: (m) => post(json(m.query)),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'a body that is JSON null', send: () => post('null'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a body that is a JSON number', send: () => post('42'), status: 400, code: 'BAD_REQUEST' },
  { name: 'an empty JSON object', send: () => post('{}'), status: 400, code: 'BAD_REQUEST' },
  // query
  {
    name: 'query missing',
    send: (m) => post(json({ variables: m.variables })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'query null',
    send: (m) => post(json({ query: null, variables: m.variables })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'query a number',
    send: (m) => post(json({ query: 1, variables: m.variables })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'query an array of strings',
    send: (m) => post(json({ query: [m.query], variables: m.variables })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'query an object',
    send: (m) => post(json({ query: { mutation: m.query }, variables: m.variables })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // variables
  {
    name: 'variables an array',
    send: (m) => post(json({ query: m.query, variables: [m.variables.input] })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'variables a JSON-encoded string',
    send: (m) => post(json({ query: m.query, variables: json(m.variables) })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'variables a number',
    send: (m) => post(json({ query: m.query, variables: 1 })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // operationName
  {
    name: 'operationName naming no operation of the document',
    send: (m) => post(json({ query: named(m, 'Post'), variables: m.variables, operationName: 'Other' })),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'operationName missing with two operations',
    send: (m) => post(json({ query: `${named(m, 'A')}\n${named(m, 'B')}`, variables: m.variables })),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'operationName not a string',
    send: (m) => post(json({ query: named(m, 'Post'), variables: m.variables, operationName: ['Post'] })),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // Size: refused before it is all read, declared or not.
  {
    name: 'a body over the size limit (content-length)',
    send: (m) => post(json({ ...m, padding: 'x'.repeat(LIMIT) })),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'a body over the size limit, streamed without content-length',
    send: (m) => post(streamed(json({ ...m, padding: 'x'.repeat(2 * LIMIT) }))),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
];

describe('bad HTTP requests', () => {
  let t: TestGateway;
  let app: TestApp;
  let appToken: string;
  let unsid: string;
  let feedId: string;

  const mutation = (): Mutation => ({
    query: CREATE_NOTIFICATION,
    variables: { input: notificationInput(unsid, app.app.targetHostName) },
  });

  async function send(sent: Sent): Promise<Response> {
    const url = new URL(t.url);
    for (const [key, value] of Object.entries(sent.search ?? {})) url.searchParams.set(key, value);
    return fetch(url, {
      method: sent.method ?? 'GET',
      headers: { authorization: `Bearer ${appToken}`, ...sent.headers },
      ...(sent.body === undefined ? {} : { body: sent.body }),
      ...(sent.body instanceof ReadableStream ? { duplex: 'half' as const } : {}),
    });
  }

  /** What the store holds for the feed: its log's head and its notifications. */
  async function feedState() {
    const store = t.gateway.services.store;
    const { offset } = await store.feedHead(feedId);
    const { notifications } = await store.listNotifications(feedId, {
      first: 100,
      beforePosition: null,
      readState: null,
      groupName: null,
    });
    return { offset, notifications: notifications.map((n) => n.appNotificationId) };
  }

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('bad-requests.example.com');
    appToken = await app.token();
    unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
  });

  it.each(badRequests.map((row) => [row.name, row] as const))(
    'refuses %s and writes nothing',
    async (_name, row) => {
      const before = await feedState();
      const response = await send(row.send(mutation()));
      expect(response.status).toBe(row.status);
      for (const [name, value] of Object.entries(row.headers ?? {})) {
        expect(response.headers.get(name)).toBe(value);
      }
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as {
        data?: unknown;
        errors?: Array<{ message: string; extensions?: { code?: unknown } }>;
      };
      expect(body.data).toBeUndefined();
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual([row.code]);
      if (row.reason) expect(body.errors?.[0]?.message).toMatch(row.reason);
      expect(await feedState()).toEqual(before);
    },
  );

  it('serves a GET query that carries a preflight header (only mutations are refused on GET)', async () => {
    const response = await send({
      method: 'GET',
      search: { query: '{ __typename }' },
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('writes the same mutation sent well-formed (the check above can see a write)', async () => {
    const before = await feedState();
    const m = mutation();
    const response = await send(post(json(m)));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { createNotification: { outcome: string } } };
    expect(body.data?.createNotification.outcome).toBeTruthy();
    const after = await feedState();
    expect(after.offset).toBe(before.offset + 1);
    expect(after.notifications).toEqual([m.variables.input.appNotificationId, ...before.notifications]);
  });
});

describe('the token endpoint', () => {
  it('refuses a form over its size limit with 413 and closes the connection, reading no more of it', async () => {
    const t = await startGateway();
    const response = await fetch(t.url.replace(/\/graphql$/, '/oauth2/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&padding=${'x'.repeat(8192)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});
