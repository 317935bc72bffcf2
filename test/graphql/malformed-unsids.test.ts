import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_SCOPE } from '../../src/auth/principal.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql-http.js';
import { CREATE_NOTIFICATION, createDevice, feedCursor, notificationInput } from '../support/operations.js';
import { ACKNOWLEDGE, NOTIFICATION } from '../support/state-operations.js';
import { storeCalls } from '../support/store-calls.js';

// A UNSID is 18 random bytes in base64url (24 characters). Any other string names no device: it is
// answered exactly as an unknown UNSID is (NOT_FOUND, the same message), wherever a UNSID is looked up,
// and the store is not asked (PostgreSQL refuses a NUL byte, which failed the batch of reads it shared
// with other clients' reads). The gateway's own count of store calls (/metrics) tells whether it asked.

const HOST = 'shapes.example.com';

/** Store calls that look a UNSID up: the device read, and a post to a UNSID (which reads it in its batch). */
const LOOKUPS = ['findDeviceSubscription', 'postNotification'] as const;

const RENEW = `mutation ($unsid: ID!) {
  renewDeviceSubscription(input: { deviceSubscriptionId: $unsid }) { id }
}`;
const DELETE_DEVICE = `mutation ($unsid: ID!) {
  deleteDeviceSubscription(input: { deviceSubscriptionId: $unsid }) { deviceSubscriptionId }
}`;
const SET_PUSH = `mutation ($unsid: ID!) {
  setDevicePushSubscription(input: { deviceSubscriptionId: $unsid, pushSubscription: null }) { id }
}`;
const APP_FEED = `query ($unsid: ID!) { notifications(deviceSubscriptionId: $unsid) { edges { node { id } } } }`;

type Caller = 'user' | 'delegated' | 'app';
interface Lookup {
  readonly name: string;
  readonly caller: Caller;
  readonly query: string;
  readonly variables: (unsid: string, cursor: string) => Record<string, unknown>;
}

const lookups: Lookup[] = [
  { name: 'renewDeviceSubscription', caller: 'user', query: RENEW, variables: (unsid) => ({ unsid }) },
  {
    name: 'deleteDeviceSubscription',
    caller: 'user',
    query: DELETE_DEVICE,
    variables: (unsid) => ({ unsid }),
  },
  { name: 'setDevicePushSubscription', caller: 'user', query: SET_PUSH, variables: (unsid) => ({ unsid }) },
  {
    name: 'acknowledgeNotifications',
    caller: 'user',
    query: ACKNOWLEDGE,
    variables: (unsid, cursor) => ({ deviceSubscriptionId: unsid, upTo: cursor }),
  },
  {
    name: 'createNotification (app token)',
    caller: 'app',
    query: CREATE_NOTIFICATION,
    variables: (unsid) => ({ input: notificationInput(unsid, HOST) }),
  },
  {
    name: "createNotification (a user's delegated token)",
    caller: 'delegated',
    query: CREATE_NOTIFICATION,
    variables: (unsid) => ({ input: notificationInput(unsid, HOST) }),
  },
  { name: 'notifications (app token)', caller: 'app', query: APP_FEED, variables: (unsid) => ({ unsid }) },
  {
    name: 'notification by UNSID and appNotificationId (app token)',
    caller: 'app',
    query: NOTIFICATION,
    variables: (unsid) => ({ notification: { deviceSubscriptionId: unsid, appNotificationId: 'any' } }),
  },
];

describe('a UNSID not of the issued shape', () => {
  let t: TestGateway;
  let tokens: Record<Caller, string>;
  let cursor: string;
  let malformed: Record<string, string>;
  /** Shaped as every UNSID is, but never issued. */
  const unknown = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    t = await startGateway();
    const app = await t.registerApp(HOST);
    tokens = {
      user: await t.userToken('alice', app.app),
      delegated: await t.userToken('alice', app.app, 86_400, [NOTIFICATIONS_SCOPE]),
      app: await app.token(),
    };
    const real = await createDevice(t.url, tokens.user, 'WEB');
    cursor = await feedCursor(t.url, tokens.user);
    // Alice's own UNSID, spoiled: a NUL byte in place of its last character, one character more.
    malformed = {
      'a NUL byte': `${real.slice(0, -1)}\u0000`,
      'one character too many': `${real}A`,
      'far too long': real.repeat(100),
    };
  });

  /** How many times the gateway has looked a UNSID up in its store so far. */
  const lookupsSoFar = async () => {
    let total = 0;
    for (const operation of LOOKUPS) total += await storeCalls(t.origin, operation);
    return total;
  };

  /** What `answer` gets for `unsid`, and how many store lookups it made. */
  async function answered<T>(answer: (unsid: string) => Promise<T>, unsid: string) {
    const before = await lookupsSoFar();
    const result = await answer(unsid);
    return { result, lookups: (await lookupsSoFar()) - before };
  }

  it.each(lookups)('$name: answered as an unknown UNSID, without reading the store', async (lookup) => {
    const answer = async (unsid: string) => {
      const response = await graphql(
        t.url,
        lookup.query,
        lookup.variables(unsid, cursor),
        tokens[lookup.caller],
      );
      return { status: response.status, data: response.data, errors: response.errors };
    };
    const reference = await answered(answer, unknown);
    expect(reference.result.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    // The unknown UNSID is looked up: the count sees lookups (else the checks below could not fail).
    expect(reference.lookups).toBeGreaterThan(0);
    for (const [name, unsid] of Object.entries(malformed)) {
      const { result, lookups } = await answered(answer, unsid);
      expect({ name, ...result }, name).toEqual({ name, ...reference.result });
      expect({ name, lookups }).toEqual({ name, lookups: 0 });
    }
  });

  it('notificationChanges over WebSocket: answered as an unknown UNSID, without reading the store', async () => {
    const answer = async (unsid: string) => {
      const feed = openFeed(t.wsUrl, tokens.user, { deviceSubscriptionId: unsid });
      const errors = await feed.failed;
      await feed.close();
      return errors.map((error) => ({ message: error.message, code: error.extensions?.code }));
    };
    const reference = await answered(answer, unknown);
    expect(reference.result.map((error) => error.code)).toEqual(['NOT_FOUND']);
    expect(reference.lookups).toBeGreaterThan(0);
    for (const [name, unsid] of Object.entries(malformed)) {
      const { result, lookups } = await answered(answer, unsid);
      expect({ name, result, lookups }).toEqual({ name, result: reference.result, lookups: 0 });
    }
  });

  it("the Graph route's X-UNS-ID: answered as an unknown UNSID, without reading the store", async () => {
    const answer = async (unsid: string) => {
      const response = await fetch(`${t.origin}/v1.0/me/notifications`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.app}`,
          'content-type': 'application/json',
          'x-uns-id': unsid,
        },
        body: JSON.stringify({
          targetHostName: HOST,
          appNotificationId: 'graph',
          payload: { visualContent: { title: 'Hello' } },
        }),
      });
      const { error } = (await response.json()) as {
        error: { code: string; message: string; innerError: { code: string } };
      };
      return {
        status: response.status,
        code: error.code,
        message: error.message,
        ours: error.innerError.code,
      };
    };
    const reference = await answered(answer, unknown);
    expect(reference.result).toMatchObject({ status: 404, ours: 'NOT_FOUND' });
    expect(reference.lookups).toBeGreaterThan(0);
    // A header cannot carry a NUL byte: the others only.
    for (const name of ['one character too many', 'far too long']) {
      const { result, lookups } = await answered(answer, malformed[name] as string);
      expect({ name, result, lookups }).toEqual({ name, result: reference.result, lookups: 0 });
    }
  });
});
