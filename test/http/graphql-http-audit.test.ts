import { type AuditResult, serverAudits } from 'graphql-http';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

// The GraphQL-over-HTTP conformance audit of graphql-http (the spec's reference implementation), run
// against a real gateway with a valid user token. A failed MUST is an 'error' and fails its test; a
// failed SHOULD ('warn') or MAY ('notice') is a recommendation and is allowed. What does not pass today:
// - warn 572B, FDE2, 7B9B: a document that does not parse or validate, or variables that do not coerce,
//   answer 400 even to `accept: application/json` (the spec prefers 200 there). Apollo Server's choice;
//   clients and test/graphql/errors.test.ts rely on the 400.
// - notice 5A70, D6D5, 6A70: a GET without `apollo-require-preflight` or `x-apollo-operation-name` (or a
//   non-simple content-type) is refused with 400 by Apollo's CSRF prevention, which stays on. GET queries
//   with one of those headers are served (test/http/bad-requests.test.ts).
// The gateway runs in development mode, as the audit needs introspection: in production mode (no
// introspection, deliberately) the MUSTs BF61 and 28B9, whose queries use `__type`, fail with 400.

let t: TestGateway;
let token: string;

/** The audits' requests, each with the bearer token the gateway requires. */
const fetchWithToken: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const audits = serverAudits({ url: () => t.url, fetchFn: fetchWithToken });

describe('GraphQL over HTTP conformance (graphql-http audit)', () => {
  beforeAll(async () => {
    t = await startGateway();
    const app = await t.registerApp('audit.example.com');
    token = await t.userToken('alice', app.app);
  });

  it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
    const result: AuditResult = await audit.fn();
    if (result.status === 'ok') return;
    // Free the body of a failed audit's response: Node keeps the connection until it is read.
    if (!result.response.bodyUsed) await result.response.body?.cancel();
    expect(result.status, `${result.id} ${result.name}: ${result.reason}`).not.toBe('error');
  });
});
