import { getIntrospectionQuery, type IntrospectionOptions, parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import * as clientDocuments from '../../src/client/documents.js';
import { SETTINGS } from '../../src/config/settings.js';
import { documentParseOptions } from '../../src/graphql/document-checker.js';
import { GRAPH_CREATE_NOTIFICATION } from '../../src/http/graph-notification.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, type GraphQLResponse, graphql } from '../support/graphql-http.js';
import { type CapturedLogs, captureLogs } from '../support/logs.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { type RawMessage, type RawSocket, rawSocket } from '../support/raw-socket.js';

// Documents built to hurt the gateway, sent over HTTP (Apollo) and over WebSocket (graphql-ws): each is
// refused with a coded error before anything runs, costs one error answer and no error-level log line,
// and over WebSocket fails only its own operation: the socket and its other operations stay.

/** Every option of graphql-js's introspection query: a superset of what Apollo Sandbox sends. */
const SANDBOX_OPTIONS: IntrospectionOptions = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};
const SANDBOX_INTROSPECTION = getIntrospectionQuery(SANDBOX_OPTIONS);
/** As the reviewer sent it: `__schema` aliased 572 times (200, 15.7 MB, 4.7 s before the limits counted it). */
const schemaAliased = (count: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `s${i}: __schema { description }`).join(' ')} }`;
/** Selection sets nested `depth` deep: 2,000 is 6 KB, and overflowed the parser's stack. */
const nested = (depth: number) => `{${'a{'.repeat(depth)}b${'}'.repeat(depth + 1)}`;
const SUBSCRIPTION =
  'subscription ($s: ID!, $a: String) { notificationChanges(deviceSubscriptionId: $s, after: $a) { cursor notification { appNotificationId } } }';

const HOST = 'hostile.example.com';

interface Setup {
  readonly t: TestGateway;
  readonly logs: CapturedLogs;
  readonly user: string;
  readonly appToken: string;
  readonly unsid: string;
}

async function setUp(env: Record<string, string> = {}): Promise<Setup> {
  const logs = captureLogs();
  const t = await startGateway({ logger: logs.logger, env });
  const app = await t.registerApp(HOST);
  const user = await t.userToken('alice', app.app);
  return { t, logs, user, appToken: await app.token(), unsid: await createDevice(t.url, user, 'WEB') };
}

const errorLines = (logs: CapturedLogs) => logs.lines.filter((line) => line.level === 'error');

/** Refused before anything ran: a 400 with no `data` at all, and these codes. */
function expectRefused(response: GraphQLResponse<unknown>, code: string) {
  expect(response.status).toBe(400);
  expect(response).not.toHaveProperty('data');
  expect(new Set(errorCodes(response))).toEqual(new Set([code]));
}

/** A raw graphql-ws socket past connection_ack, holding a live feed (operation id `live`). */
async function liveSocket(s: Setup): Promise<RawSocket> {
  const raw = rawSocket(s.t.wsUrl);
  await raw.opened;
  raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${s.user}` } });
  await raw.message('connection_ack');
  const after = await feedCursor(s.t.url, s.user);
  raw.send({
    id: 'live',
    type: 'subscribe',
    payload: { query: SUBSCRIPTION, variables: { s: s.unsid, a: after } },
  });
  return raw;
}

/** Sends `query` as operation `id` and returns the first message about it (`next` or `error`). */
async function answerTo(raw: RawSocket, id: string, query: string): Promise<RawMessage> {
  raw.send({ id, type: 'subscribe', payload: { query } });
  for (;;) {
    const message = await raw.message();
    if (message.id === id && message.type !== 'complete') return message;
  }
}

const codesOf = (message: RawMessage): unknown[] =>
  (message.payload as { extensions?: { code?: unknown } }[]).map((error) => error.extensions?.code);

/** The live feed of `raw` still delivers: a notification posted now arrives on it. */
async function stillLive(s: Setup, raw: RawSocket): Promise<void> {
  const appNotificationId = `after-${Math.random().toString(36).slice(2)}`;
  dataOf(
    await postNotification(s.t.url, s.appToken, notificationInput(s.unsid, HOST, { appNotificationId })),
  );
  for (;;) {
    const message = await raw.message('next');
    expect(message.id).toBe('live');
    if (message.payload.data.notificationChanges.notification?.appNotificationId === appNotificationId)
      return;
  }
}

describe('hostile documents, at the default limits', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp();
  });

  it("lets Apollo Sandbox's introspection query through in development, on both transports", async () => {
    const overHttp = await graphql<{ __schema: { types: unknown[] } }>(
      s.t.url,
      SANDBOX_INTROSPECTION,
      {},
      s.user,
    );
    expect(dataOf(overHttp).__schema.types.length).toBeGreaterThan(10);
    expect(errorCodes(await graphql(s.t.url, getIntrospectionQuery(), {}, s.user))).toEqual([]);

    const raw = await liveSocket(s);
    const overWs = await answerTo(raw, 'introspection', SANDBOX_INTROSPECTION);
    expect(overWs.type).toBe('next');
    expect(overWs.payload.errors).toBeUndefined();
    expect(overWs.payload.data.__schema.types.length).toBeGreaterThan(10);
    raw.socket.close();
    expect(errorLines(s.logs)).toEqual([]);
  });

  it('refuses introspection past its budget before running it: 572 aliased __schema, 3 roots, 501 fields', async () => {
    // 572 aliases are over 3,000 tokens: refused unparsed by the token limit, before validation.
    expectRefused(await graphql(s.t.url, schemaAliased(572), {}, s.user), 'GRAPHQL_PARSE_FAILED');
    // Within the token limit: the introspection budget (2 roots, 500 fields) and the alias limit.
    const threeRoots =
      '{ a: __schema { description } b: __schema { description } __type(name: "Query") { name } }';
    const twoRoots = '{ a: __schema { description } __type(name: "Query") { name } }';
    expectRefused(await graphql(s.t.url, threeRoots, {}, s.user), 'GRAPHQL_VALIDATION_FAILED');
    expect(errorCodes(await graphql(s.t.url, twoRoots, {}, s.user))).toEqual([]);
    const fields = (count: number) => `{ __type(name: "Query") { ${'name '.repeat(count - 1)}} }`;
    expectRefused(await graphql(s.t.url, fields(501), {}, s.user), 'GRAPHQL_VALIDATION_FAILED');
    expect(errorCodes(await graphql(s.t.url, fields(500), {}, s.user))).toEqual([]);
    expectRefused(await graphql(s.t.url, schemaAliased(21), {}, s.user), 'GRAPHQL_VALIDATION_FAILED');

    const raw = await liveSocket(s);
    const refused = await answerTo(raw, 'schemas', schemaAliased(572));
    expect(refused.type).toBe('error');
    expect(codesOf(refused)).toEqual(['GRAPHQL_PARSE_FAILED']);
    for (const [id, query] of Object.entries({ threeRoots, wide: fields(501), aliased: schemaAliased(21) })) {
      const answer = await answerTo(raw, id, query);
      expect(answer.type).toBe('error');
      expect(new Set(codesOf(answer))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    }
    await stillLive(s, raw);
    expect(errorLines(s.logs)).toEqual([]);
  });

  it('answers a document nested 2,000 deep with GRAPHQL_PARSE_FAILED on both transports, and logs no error', async () => {
    expectRefused(await graphql(s.t.url, nested(2000), {}, s.user), 'GRAPHQL_PARSE_FAILED');
    const raw = await liveSocket(s);
    const answer = await answerTo(raw, 'deep', nested(2000));
    expect(answer.type).toBe('error');
    expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    await stillLive(s, raw);
    expect(errorLines(s.logs)).toEqual([]);
  });

  it('answers a WebSocket subscribe that does not parse with a coded error for that operation; the socket stays', async () => {
    const raw = await liveSocket(s);
    const typo = 'subscription { notificationChanges(deviceSubscriptionId: "x") { cursor }';
    const answer = await answerTo(raw, 'typo', typo);
    expect(answer).toMatchObject({ id: 'typo', type: 'error' });
    expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    // Where, as over HTTP: the end of the document, where a `}` is missing.
    expect(answer.payload[0].locations).toEqual([{ line: 1, column: typo.length + 1 }]);
    // The other operation, and the socket, carry on; a second bad document is answered the same way.
    await stillLive(s, raw);
    expect(codesOf(await answerTo(raw, 'again', '{'))).toEqual(['GRAPHQL_PARSE_FAILED']);
    await stillLive(s, raw);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    expect(errorLines(s.logs)).toEqual([]);
  });

  it('codes a document that does not validate as HTTP does (an unused variable was BAD_USER_INPUT over WebSocket)', async () => {
    const unused = 'query ($a: String) { deviceSubscriptions { pageInfo { hasNextPage } } }';
    expectRefused(await graphql(s.t.url, unused, {}, s.user), 'GRAPHQL_VALIDATION_FAILED');
    const raw = await liveSocket(s);
    const answer = await answerTo(raw, 'unused', unused);
    expect(answer.type).toBe('error');
    expect(codesOf(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.payload[0].locations).toEqual([{ line: 1, column: 8 }]);
    await stillLive(s, raw);
  });

  it('refuses a subscription over HTTP with 400 BAD_REQUEST (they go over WebSocket), and logs no error', async () => {
    const response = await graphql(s.t.url, SUBSCRIPTION, { s: s.unsid }, s.user);
    expectRefused(response, 'BAD_REQUEST');
    expect(errorLines(s.logs)).toEqual([]);
  });
});

describe('the token limit (TIDINGS_MAX_QUERY_TOKENS)', () => {
  it("admits, at its smallest setting, Sandbox's introspection query and every document the client library and the Graph route send", () => {
    const smallest = 200;
    expect(SETTINGS.maxQueryTokens.kind.parse(String(smallest))).toBe(smallest);
    expect(SETTINGS.maxQueryTokens.kind.parse(String(smallest - 1))).toBeUndefined();
    const documents = {
      SANDBOX_INTROSPECTION,
      GRAPH_CREATE_NOTIFICATION,
      // NOTIFICATION_FIELDS is a selection the others include, not a document.
      ...Object.fromEntries(
        Object.entries(clientDocuments).filter(([name]) => name !== 'NOTIFICATION_FIELDS'),
      ),
    };
    expect(Object.keys(documents).length).toBeGreaterThan(10);
    for (const [name, text] of Object.entries(documents)) {
      expect(() => parse(text, documentParseOptions(smallest)), name).not.toThrow();
    }
  });

  it('is applied on both transports: a longer document is refused unparsed', async () => {
    const s = await setUp({ TIDINGS_MAX_QUERY_TOKENS: '200' });
    // typeDepth 20: 239 tokens.
    const longer = getIntrospectionQuery({ ...SANDBOX_OPTIONS, typeDepth: 20 });
    expectRefused(await graphql(s.t.url, longer, {}, s.user), 'GRAPHQL_PARSE_FAILED');
    expect(errorCodes(await graphql(s.t.url, SANDBOX_INTROSPECTION, {}, s.user))).toEqual([]);
    const raw = await liveSocket(s);
    expect(codesOf(await answerTo(raw, 'longer', longer))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect((await answerTo(raw, 'sandbox', SANDBOX_INTROSPECTION)).type).toBe('next');
    await stillLive(s, raw);
    expect(errorLines(s.logs)).toEqual([]);
  });

  it('at its largest, leaves 572 aliased __schema to the introspection and alias limits', async () => {
    const s = await setUp({ TIDINGS_MAX_QUERY_TOKENS: '1500' });
    // 240 aliases of 6 tokens each fit in 1,500 tokens; 572 never do.
    expectRefused(await graphql(s.t.url, schemaAliased(240), {}, s.user), 'GRAPHQL_VALIDATION_FAILED');
    const raw = await liveSocket(s);
    const answer = await answerTo(raw, 'schemas', schemaAliased(240));
    expect(answer.type).toBe('error');
    expect(new Set(codesOf(answer))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    await stillLive(s, raw);
    expect(errorLines(s.logs)).toEqual([]);
  });
});
