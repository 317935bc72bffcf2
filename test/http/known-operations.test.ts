import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startGateway } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { CREATE_NOTIFICATION, createDevice, notificationInput } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

// A known document sent as a plain JSON POST is answered without Apollo's pipeline (known-operations.ts).
// The same request with `extensions: {}` always goes through Apollo (the known-operation path takes no
// extensions), so each case below compares the two answers, byte for byte, once the document is known.

interface Answer {
  readonly status: number;
  /** Every header but those that differ per request (date, request id). */
  readonly headers: Record<string, unknown>;
  readonly contentType: string | null;
  readonly contentLength: string | null;
  readonly retryAfter: string | null;
  readonly authenticate: string | null;
  readonly body: string;
}

interface Case {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string | null;
  readonly token?: string;
  readonly accept?: string | undefined;
  readonly requestId?: string;
}

// POSTs with node:http: fetch would add `Accept: */*` to a request without one.
function post(url: string, request: Case, throughApollo: boolean): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.accept !== undefined) headers.accept = request.accept;
  if (request.requestId)
    headers['x-request-id'] = `${request.requestId}-${throughApollo ? 'apollo' : 'known'}`;
  const body = JSON.stringify({
    query: request.query,
    ...(request.variables ? { variables: request.variables } : {}),
    ...(request.operationName !== undefined ? { operationName: request.operationName } : {}),
    ...(throughApollo ? { extensions: {} } : {}),
  });
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const header = (name: string) => {
          const value = response.headers[name];
          return typeof value === 'string' ? value : null;
        };
        const { date: _, 'x-request-id': __, ...headers } = response.headers;
        resolve({
          status: response.statusCode ?? 0,
          headers,
          contentType: header('content-type'),
          contentLength: header('content-length'),
          retryAfter: header('retry-after'),
          authenticate: header('www-authenticate'),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** How many GraphQL requests over HTTP a gateway answered by that pipeline (its /metrics). */
async function answeredBy(origin: string, pipeline: 'known' | 'apollo'): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const match = new RegExp(
    `^tidings_graphql_http_requests_total\\{pipeline="${pipeline}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return Number(match?.[1] ?? 0);
}

/** Apollo's answer and the known-operation path's, to the same request (the document known by then). */
async function bothAnswers(url: string, request: Case): Promise<[Answer, Answer]> {
  await post(url, request, false);
  const apollo = await post(url, request, true);
  const known = await post(url, request, false);
  return [apollo, known];
}

/** An app registered on `host` with an app token, and a WEB device of its user alice: what a case posts to. */
async function appWithDevice(t: Awaited<ReturnType<typeof startGateway>>, host: string) {
  const app = await t.registerApp(host);
  const appToken = await app.token();
  const user = await t.userToken('alice', app.app);
  return { appToken, user, unsid: await createDevice(t.url, user, 'WEB') };
}

const DEVICES = 'query Devices { deviceSubscriptions { edges { node { id platform deviceLabel } } } }';
const TWO_OPERATIONS = `query Devices { deviceSubscriptions { edges { node { id platform } } } }
query Typename { __typename }`;

describe('known operations over HTTP', () => {
  it('answer exactly as Apollo does: data, every Accept answered without Apollo, operation names', async () => {
    const t = await startGateway();
    const app = await t.registerApp('same.example.com');
    const user = await t.userToken('alice', app.app);
    await createDevice(t.url, user, 'WEB');
    for (const accept of [
      undefined,
      '',
      '*/*',
      'application/json',
      'application/json, */*',
      'application/graphql-response+json',
      'application/graphql-response+json, application/json',
      'application/graphql-response+json, application/json;q=0.9',
      'text/html', // answered by Apollo both ways (406)
    ]) {
      const [apollo, known] = await bothAnswers(t.url, { query: DEVICES, token: user, accept });
      expect(known).toEqual(apollo);
    }
    // The comparisons prove something only if the known request took the other path: /metrics says which.
    const before = {
      known: await answeredBy(t.origin, 'known'),
      apollo: await answeredBy(t.origin, 'apollo'),
    };
    const [apollo, known] = await bothAnswers(t.url, { query: DEVICES, token: user });
    expect(await answeredBy(t.origin, 'known')).toBe(before.known + 2);
    expect(await answeredBy(t.origin, 'apollo')).toBe(before.apollo + 1);
    expect(apollo.status).toBe(200);
    expect(JSON.parse(known.body).data.deviceSubscriptions.edges).toHaveLength(1);
    for (const operationName of ['Devices', 'Typename', 'Nope', null]) {
      const [apollo, known] = await bothAnswers(t.url, { query: TWO_OPERATIONS, token: user, operationName });
      expect(known).toEqual(apollo);
    }
  });

  it('answer errors exactly as Apollo does: bad variables, not found, forbidden, a token refused', async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    const host = 'errors.example.com';
    const { appToken, user, unsid } = await appWithDevice(t, host);
    const cases: [Case, number, string][] = [
      [
        {
          query: CREATE_NOTIFICATION,
          variables: { input: notificationInput(unsid, host, { priority: 'URGENT' }) },
          token: appToken,
        },
        400,
        'BAD_USER_INPUT',
      ],
      [
        {
          query: CREATE_NOTIFICATION,
          variables: {},
          token: appToken,
          accept: 'application/graphql-response+json',
        },
        400,
        'BAD_USER_INPUT',
      ],
      [
        {
          query: CREATE_NOTIFICATION,
          variables: { input: notificationInput('no-such-device', host) },
          token: appToken,
        },
        200,
        'NOT_FOUND',
      ],
      [
        { query: CREATE_NOTIFICATION, variables: { input: notificationInput(unsid, host) }, token: user },
        200,
        'FORBIDDEN',
      ],
      // Variables graphql-js refuses deep in the input: its errors, on both paths.
      ...[
        { displayTimeToLive: 1.5 },
        { targetPolicy: { platformTypes: ['WEB', null] } },
        { payload: { visualContent: { body: 'no title' } } },
        { unknownField: true },
        { expirationDateTime: 'tomorrow' },
        // A list where an input object goes: graphql-jit alone would take `[]` for `{}`.
        { targetPolicy: [] },
        { payload: { visualContent: [] } },
      ].map((overrides): [Case, number, string] => [
        {
          query: CREATE_NOTIFICATION,
          variables: { input: notificationInput(unsid, host, overrides) },
          token: appToken,
        },
        400,
        'BAD_USER_INPUT',
      ]),
      // Variables graphql-js accepts (a list of one, the default priority), then the resolver's error.
      [
        {
          query: CREATE_NOTIFICATION,
          variables: {
            input: notificationInput(unsid, 'other.example.com', { targetPolicy: { platformTypes: 'WEB' } }),
          },
          token: appToken,
        },
        200,
        'BAD_USER_INPUT',
      ],
      [{ query: DEVICES, token: 'not-a-token' }, 401, 'UNAUTHENTICATED'],
      [{ query: DEVICES }, 401, 'UNAUTHENTICATED'],
    ];
    for (const [request, status, code] of cases) {
      const [apollo, known] = await bothAnswers(t.url, request);
      expect(known).toEqual(apollo);
      expect(known.status).toBe(status);
      expect(
        JSON.parse(known.body).errors.map((e: { extensions: { code: string } }) => e.extensions.code),
      ).toEqual([code]);
    }
  });

  it('answer a refused rate exactly as Apollo does: 429 with Retry-After', async () => {
    const host = 'rate.example.com';
    // The budget refills by the gateway's clock, which stands still: a slow machine refills nothing.
    const clock = createTestClock();
    const t = await startGateway({
      env: { TIDINGS_APP_MUTATIONS_PER_SECOND: '1', TIDINGS_APP_MUTATION_BURST: '2' },
      now: clock.now,
    });
    const { appToken, unsid } = await appWithDevice(t, host);
    const request = (appNotificationId: string): Case => ({
      query: CREATE_NOTIFICATION,
      variables: { input: notificationInput(unsid, host, { appNotificationId }) },
      token: appToken,
    });
    // The burst spent: the first post through Apollo, the second without it (known by then).
    expect((await post(t.url, request('first'), false)).status).toBe(200);
    expect((await post(t.url, request('second'), false)).status).toBe(200);
    // The gateway's clock stands still: no token comes back between the two.
    const apollo = await post(t.url, request('refused'), true);
    const known = await post(t.url, request('refused'), false);
    expect(known).toEqual(apollo);
    expect(known.status).toBe(429);
    expect(Number(known.retryAfter)).toBeGreaterThanOrEqual(1);
  });
  it('run each field of a mutation once, in order, and none after one that fails', async () => {
    const t = await startGateway();
    const host = 'fields.example.com';
    const { appToken, unsid } = await appWithDevice(t, host);
    // The second post names another app's host: its resolver refuses it once the first has been stored.
    const query = `mutation ($first: CreateNotificationInput!, $second: CreateNotificationInput!) {
      first: createNotification(input: $first) { outcome }
      second: createNotification(input: $second) { outcome }
    }`;
    const request = (n: number): Case => ({
      query,
      variables: {
        first: notificationInput(unsid, host, { appNotificationId: `first-${n}` }),
        second: notificationInput(unsid, 'other.example.com', { appNotificationId: `second-${n}` }),
      },
      token: appToken,
    });
    const apollo = await post(t.url, request(1), true);
    const knownBefore = await answeredBy(t.origin, 'known');
    const known = await post(t.url, request(2), false);
    expect(await answeredBy(t.origin, 'known')).toBe(knownBefore + 1);
    expect(known).toEqual(apollo);
    expect(known.status).toBe(200);
    const body = JSON.parse(known.body);
    // createNotification's payload is non-null: the error nulls the whole data, after the first post.
    expect(body.data).toBeNull();
    expect(
      body.errors.map((e: { path: string[]; extensions: { code: string } }) => [e.path, e.extensions.code]),
    ).toEqual([[['second'], 'BAD_USER_INPUT']]);
    // One change per request: the first field ran once on each path (nothing ran again after the error).
    const changes = async () =>
      Number(
        (await storeSql<{ changes: number | string }>(t, 'SELECT COUNT(*) AS changes FROM "Change"'))[0]
          ?.changes,
      );
    expect(await changes()).toBe(2);
    // The other way round: the first field fails, and the second does not run at all (graphql-js stops
    // there; graphql-jit would run it, and the client, told data: null, would never know).
    const reversed = (n: number): Case => ({
      query,
      variables: {
        first: notificationInput(unsid, 'other.example.com', { appNotificationId: `first-${n}` }),
        second: notificationInput(unsid, host, { appNotificationId: `second-${n}` }),
      },
      token: appToken,
    });
    const [apolloReversed, knownReversed] = [
      await post(t.url, reversed(3), true),
      await post(t.url, reversed(4), false),
    ];
    expect(knownReversed).toEqual(apolloReversed);
    expect(JSON.parse(knownReversed.body).errors.map((e: { path: string[] }) => e.path)).toEqual([['first']]);
    expect(await changes()).toBe(2);
  });

  it("leave a field an edit's literal object names by a variable left out as it is, on both paths", async () => {
    const t = await startGateway();
    const host = 'edits.example.com';
    const { appToken, unsid } = await appWithDevice(t, host);
    const created = await post(
      t.url,
      {
        query: CREATE_NOTIFICATION,
        variables: { input: notificationInput(unsid, host, { groupName: 'orders' }) },
        token: appToken,
      },
      true,
    );
    const id = JSON.parse(created.body).data.createNotification.notification.id as string;
    // `groupName: $group` inside an object written in the document: left out, the group stays; null removes it.
    const edit = (variables: Record<string, unknown>): Case => ({
      query: `mutation ($id: ID!, $group: String) {
        updateNotification(input: { notification: { id: $id }, groupName: $group }) { notification { groupName } }
      }`,
      variables,
      token: appToken,
    });
    const groupOf = (answer: Answer) =>
      JSON.parse(answer.body).data.updateNotification.notification.groupName;
    expect(groupOf(await post(t.url, edit({ id }), true))).toBe('orders');
    const knownBefore = await answeredBy(t.origin, 'known');
    expect(groupOf(await post(t.url, edit({ id }), false))).toBe('orders');
    expect(groupOf(await post(t.url, edit({ id, group: null }), false))).toBeNull();
    expect(await answeredBy(t.origin, 'known')).toBe(knownBefore + 2);
  });

  it("mask an unexpected failure exactly as Apollo does, logged on the request's own log", async () => {
    const logs = captureLogs();
    const t = await startGateway({ logger: logs.logger });
    const app = await t.registerApp('masked.example.com');
    const user = await t.userToken('alice', app.app);
    await createDevice(t.url, user, 'WEB');
    const request: Case = { query: DEVICES, token: user, requestId: 'masked' };
    await post(t.url, request, false);
    // A real fault under the running gateway: another process renames a table it needs away.
    await storeSql(t, 'ALTER TABLE "DeviceSubscription" RENAME TO "Gone"');
    const apollo = await post(t.url, request, true);
    const known = await post(t.url, request, false);
    expect(known).toEqual(apollo);
    expect(JSON.parse(known.body).errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
    ]);
    expect(known.body).not.toMatch(/prisma|sqlite|stack|\.ts/i);
    for (const id of ['masked-apollo', 'masked-known']) {
      await expect
        .poll(() => logs.withMessage('unexpected error').filter((line) => line.requestId === id).length)
        .toBe(1);
    }
  });
});
