import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKnownDocuments, MAX_KNOWN_DOCUMENTS } from '../../src/http/known-documents.js';
import { startGateway } from '../support/gateway.js';
import { errorCodes, type GraphQLResponse, graphql } from '../support/graphql-http.js';
import { CREATE_NOTIFICATION, createDevice, notificationInput } from '../support/operations.js';

const HOST = 'known.example.com';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** POSTs an automatic persisted query by hash alone (no text), as APQ clients do. */
async function byHash(
  url: string,
  hash: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

describe('known documents over HTTP', () => {
  it('answers a document sent again exactly as the first time, and knows it by hash once accepted', async () => {
    const t = await startGateway();
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const hash = sha256(CREATE_NOTIFICATION);
    // Never sent: not known by its hash (Apollo's own answer for an unknown persisted query).
    const unknown = await byHash(t.url, hash, { input: notificationInput(unsid, HOST) }, appToken);
    expect(errorCodes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    const first = await graphql(
      t.url,
      CREATE_NOTIFICATION,
      { input: notificationInput(unsid, HOST) },
      appToken,
    );
    expect(first.errors).toBeUndefined();
    const again = await graphql(
      t.url,
      CREATE_NOTIFICATION,
      { input: notificationInput(unsid, HOST) },
      appToken,
    );
    expect(again.status).toBe(first.status);
    expect(again.errors).toBeUndefined();
    expect(Object.keys(again.data?.createNotification ?? {})).toEqual(
      Object.keys(first.data?.createNotification ?? {}),
    );
    // Accepted once as text, it is now known by hash too, without an APQ registration.
    const persisted = await byHash(t.url, hash, { input: notificationInput(unsid, HOST) }, appToken);
    expect(persisted.errors).toBeUndefined();
    expect((persisted.data?.createNotification as { outcome?: string })?.outcome).toBe('CREATED');

    // A known document's errors are what they were: bad variables, an unknown device, a user token.
    const badInput = { input: { ...notificationInput(unsid, HOST), priority: 'URGENT' } };
    for (let i = 0; i < 2; i++) {
      const refused = await graphql(t.url, CREATE_NOTIFICATION, badInput, appToken);
      expect(refused.status).toBe(400);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      const missing = await graphql(
        t.url,
        CREATE_NOTIFICATION,
        { input: notificationInput('no-such-device', HOST) },
        appToken,
      );
      expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
      const forbidden = await graphql(
        t.url,
        CREATE_NOTIFICATION,
        { input: notificationInput(unsid, HOST) },
        user,
      );
      expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
    }
  });

  it('never remembers a document that failed parsing, validation or the limits', async () => {
    const t = await startGateway({ env: { TIDINGS_MAX_QUERY_DEPTH: '3' } });
    const app = await t.registerApp('refused.example.com');
    const user = await t.userToken('alice', app.app);
    const tooDeep = '{ notifications { edges { node { payload { visualContent { title } } } } } }';
    const unknownField = '{ noSuchField }';
    const broken = '{ notifications {';
    for (const [document, code] of [
      [tooDeep, 'GRAPHQL_VALIDATION_FAILED'],
      [unknownField, 'GRAPHQL_VALIDATION_FAILED'],
      [broken, 'GRAPHQL_PARSE_FAILED'],
    ] as const) {
      const first = await graphql(t.url, document, {}, user);
      const second = await graphql(t.url, document, {}, user);
      expect(errorCodes(first)).toEqual([code]);
      expect(second).toMatchObject({ status: first.status, errors: first.errors });
      expect(errorCodes(await byHash(t.url, sha256(document), {}, user))).toEqual([
        'PERSISTED_QUERY_NOT_FOUND',
      ]);
    }
    // A subscription sent over HTTP is refused every time, known or not.
    const subscription = 'subscription { notificationChanges(deviceSubscriptionId: "x") { cursor } }';
    for (let i = 0; i < 2; i++) {
      const refused = await graphql(t.url, subscription, {}, user);
      expect(refused.status).toBe(400);
      expect(errorCodes(refused)).toEqual(['BAD_REQUEST']);
    }
  });
});

/** The request `withPersisted` hands to its `execute`. */
async function rewritten<T extends { query?: unknown; extensions?: unknown }>(
  known: ReturnType<typeof createKnownDocuments>,
  request: T,
): Promise<T> {
  return known.withPersisted(request, async (handed) => handed);
}

describe('createKnownDocuments', () => {
  it('keeps the most recently used documents, a bounded number of them', async () => {
    const known = createKnownDocuments();
    const text = (i: number) => `{ a${i}: __typename }`;
    const remember = (i: number) => known.persistedQueryCache.set(`apq:${sha256(text(i))}`, text(i));
    for (let i = 0; i < MAX_KNOWN_DOCUMENTS; i++) await remember(i);
    // Used again, the first one is now the most recent; the second is the oldest.
    expect(await rewritten(known, { query: text(0) })).toEqual({
      query: undefined,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text(0)) } },
    });
    await remember(MAX_KNOWN_DOCUMENTS);
    expect(await known.persistedQueryCache.get(`apq:${sha256(text(0))}`)).toBe(text(0));
    expect(await known.persistedQueryCache.get(`apq:${sha256(text(1))}`)).toBeUndefined();
    const unknownRequest = { query: text(1), variables: {} };
    expect(await rewritten(known, unknownRequest)).toBe(unknownRequest);
  });

  it("keeps a rewritten request's document findable by hash until it is answered, however much is evicted", async () => {
    const known = createKnownDocuments();
    const text = (i: number) => `{ b${i}: __typename }`;
    const key = (i: number) => `apq:${sha256(text(i))}`;
    await known.persistedQueryCache.set(key(0), text(0));
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Two requests of the same document under way while MAX_KNOWN_DOCUMENTS newer ones evict it.
    const seen: Array<string | undefined> = [];
    const request = (wait: Promise<void>) =>
      known.withPersisted({ query: text(0) }, async (handed) => {
        expect(handed.query).toBeUndefined();
        await wait;
        seen.push(await known.persistedQueryCache.get(key(0)));
      });
    const first = request(answered);
    const second = request(Promise.resolve());
    await second;
    for (let i = 1; i <= MAX_KNOWN_DOCUMENTS; i++) await known.persistedQueryCache.set(key(i), text(i));
    expect(await rewritten(known, { query: text(0) })).toEqual({ query: text(0) }); // evicted from the LRU
    release();
    await first;
    expect(seen).toEqual([text(0), text(0)]);
    // Answered: nothing holds it any more.
    expect(await known.persistedQueryCache.get(key(0))).toBeUndefined();
  });

  it('keeps a document deleted while a rewritten request of it is under way findable until it is answered', async () => {
    const known = createKnownDocuments();
    const text = '{ c: __typename }';
    const key = `apq:${sha256(text)}`;
    await known.persistedQueryCache.set(key, text);
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    let seen: string | undefined;
    const request = known.withPersisted({ query: text }, async () => {
      await answered;
      seen = await known.persistedQueryCache.get(key);
    });
    expect(await known.persistedQueryCache.delete(key)).toBe(true);
    // Gone from what new requests are rewritten with, still there for the one under way.
    expect(await rewritten(known, { query: text })).toEqual({ query: text });
    release();
    await request;
    expect(seen).toBe(text);
    expect(await known.persistedQueryCache.get(key)).toBeUndefined();
  });

  it('keeps a document findable for every request under way when it is evicted, learnt again and deleted', async () => {
    const known = createKnownDocuments();
    const text = (i: number) => `{ e${i}: __typename }`;
    const key = (i: number) => `apq:${sha256(text(i))}`;
    await known.persistedQueryCache.set(key(0), text(0));
    const releases: Array<() => void> = [];
    const seen: Array<string | undefined> = [];
    const request = () =>
      known.withPersisted({ query: text(0) }, async () => {
        await new Promise<void>((resolve) => releases.push(resolve));
        seen.push(await known.persistedQueryCache.get(key(0)));
      });
    const first = request();
    for (let i = 1; i <= MAX_KNOWN_DOCUMENTS; i++) await known.persistedQueryCache.set(key(i), text(i));
    // Evicted with `first` under way, learnt again, a second request of it, then deleted.
    await known.persistedQueryCache.set(key(0), text(0));
    const second = request();
    expect(await known.persistedQueryCache.delete(key(0))).toBe(true);
    // The later request answered first: the earlier one must still find it.
    releases[1]?.();
    await second;
    releases[0]?.();
    await first;
    expect(seen).toEqual([text(0), text(0)]);
    expect(await known.persistedQueryCache.get(key(0))).toBeUndefined();
  });

  it('moves a document used again last in the order, whether or not it was the newest already', async () => {
    const known = createKnownDocuments();
    const text = (i: number) => `{ d${i}: __typename }`;
    const remember = (i: number) => known.persistedQueryCache.set(`apq:${sha256(text(i))}`, text(i));
    for (let i = 0; i < MAX_KNOWN_DOCUMENTS; i++) await remember(i);
    // The newest used again (nothing to move), then the oldest: the second is now the oldest.
    await rewritten(known, { query: text(MAX_KNOWN_DOCUMENTS - 1) });
    await rewritten(known, { query: text(0) });
    await rewritten(known, { query: text(0) });
    await remember(MAX_KNOWN_DOCUMENTS);
    await remember(MAX_KNOWN_DOCUMENTS + 1);
    const held = async (i: number) =>
      (await known.persistedQueryCache.get(`apq:${sha256(text(i))}`)) !== undefined;
    expect([await held(0), await held(1), await held(2), await held(3)]).toEqual([true, false, false, true]);
    expect(await held(MAX_KNOWN_DOCUMENTS - 1)).toBe(true);
  });

  it('leaves alone what Apollo must judge: no text, odd extensions, a persisted query the client names', async () => {
    const known = createKnownDocuments();
    const query = '{ __typename }';
    await known.persistedQueryCache.set(`apq:${sha256(query)}`, query);
    for (const request of [
      { query: 42 },
      { query, extensions: 'not an object' },
      { query, extensions: [] },
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
    ]) {
      expect(await rewritten(known, request)).toBe(request);
    }
    // Other extensions are kept.
    expect(await rewritten(known, { query, extensions: { trace: true } })).toEqual({
      query: undefined,
      extensions: { trace: true, persistedQuery: { version: 1, sha256Hash: sha256(query) } },
    });
  });
});
