import { describe, expect, it } from 'vitest';
import { requestAppToken } from '../support/gateway.js';
import { errorCodes, type GraphQLResponse, graphql } from '../support/graphql-http.js';
import { captureLogs } from '../support/logs.js';
import {
  CREATE_DEVICE,
  createDevice,
  FEED,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { startGatewayBehindProxies } from '../support/outage.js';

const HOST = 'unavailable.example.com';
const RETRY_AFTER = /^[1-9][0-9]*$/;

/** POST /v1.0/me/notifications, as a Graph client sends it. */
async function graphPost(origin: string, token: string, unsid: string) {
  const response = await fetch(`${origin}/v1.0/me/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-uns-id': unsid },
    body: JSON.stringify({ targetHostName: HOST, appNotificationId: 'g', payload: { rawContent: 'x' } }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  };
}

// The outage is real: PostgreSQL refuses this gateway's connections behind a TCP proxy. Always on
// PostgreSQL (vitest.config.ts runs it once).
describe('every HTTP route while the store cannot be reached', () => {
  it('answers 503 with Retry-After: GraphQL, the Graph route and the token endpoint, as /readyz', async () => {
    const logs = captureLogs();
    const { t, database } = await startGatewayBehindProxies({ logger: logs.logger });
    const app = await t.registerApp(HOST);
    // Checked once already: its app is known to the gateway for a while, so the post itself fails.
    const appToken = await app.token();
    // Never seen: checking it needs the store, so the request fails before any operation runs.
    const unseen = await t.registerApp('unseen.example.com');
    const unseenAppToken = await t.gateway.issuer.issueAppToken(unseen.app.id, 600);
    const userToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, userToken, 'WEB');

    await database.cut();
    // Every route's answer side by side, so that a failure shows them all.
    const graphQL = async (answer: Promise<GraphQLResponse<unknown>>) => {
      const response = await answer;
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        codes: errorCodes(response),
      };
    };
    const token = await requestAppToken(t.origin, app.app.id, app.clientSecret);
    const answers = {
      graphqlQuery: await graphQL(graphql(t.url, FEED, { first: 10 }, userToken)),
      graphqlMutation: await graphQL(
        graphql(t.url, CREATE_DEVICE, { input: { platform: 'IOS', deviceLabel: 'x' } }, userToken),
      ),
      graphqlPost: await graphQL(postNotification(t.url, appToken, notificationInput(unsid, HOST))),
      graphqlUnseenApp: await graphQL(
        postNotification(t.url, unseenAppToken, notificationInput(unsid, HOST)),
      ),
      graphRoute: await graphPost(t.origin, appToken, unsid),
      graphRouteUnseenApp: await graphPost(t.origin, unseenAppToken, unsid),
      tokenEndpoint: {
        status: token.status,
        retryAfter: token.headers.get('retry-after'),
        cacheControl: token.headers.get('cache-control'),
        body: await token.json(),
      },
      readyz: (await fetch(`${t.origin}/readyz`)).status,
    };
    const retryAfter = expect.stringMatching(RETRY_AFTER);
    const graphQLUnavailable = { status: 503, retryAfter, codes: ['SERVICE_UNAVAILABLE'] };
    const graphUnavailable = {
      status: 503,
      retryAfter,
      body: {
        error: expect.objectContaining({
          code: 'serviceNotAvailable',
          innerError: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }),
        }),
      },
    };
    expect(answers).toEqual({
      graphqlQuery: graphQLUnavailable,
      graphqlMutation: graphQLUnavailable,
      graphqlPost: graphQLUnavailable,
      graphqlUnseenApp: graphQLUnavailable,
      graphRoute: graphUnavailable,
      graphRouteUnseenApp: graphUnavailable,
      tokenEndpoint: {
        status: 503,
        retryAfter,
        cacheControl: 'no-store',
        body: expect.objectContaining({ error: 'temporarily_unavailable' }),
      },
      readyz: 503,
    });
    // An outage of the store is no unexpected error of the gateway.
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);

    // Nothing is left broken: once the store is back, the same requests succeed.
    await database.restore();
    await expect
      .poll(async () => (await requestAppToken(t.origin, app.app.id, app.clientSecret)).status, {
        timeout: 10_000,
      })
      .toBe(200);
    expect((await postNotification(t.url, appToken, notificationInput(unsid, HOST))).status).toBe(200);
  });
});
