import { describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

describe('error model', () => {
  it('masks an unexpected failure as INTERNAL_SERVER_ERROR with no internal detail', async () => {
    const t = await startGateway();
    const app = await t.registerApp('errors.example.com');
    const token = await t.userToken('alice', app.app);
    await createDevice(t.url, token, 'WEB');
    // A real fault under the running gateway: another process renames a table it needs away.
    await storeSql(t, 'ALTER TABLE "DeviceSubscription" RENAME TO "Gone"');
    const response = await graphql(t.url, '{ deviceSubscriptions { edges { node { id } } } }', {}, token);
    expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(response.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(response)).not.toMatch(/prisma|sqlite|stack|\.ts/i);
  });

  it('keeps GraphQL validation errors as they are, with their code', async () => {
    const t = await startGateway();
    const app = await t.registerApp('errors.example.com');
    const token = await t.userToken('alice', app.app);
    const response = await graphql(t.url, '{ deviceSubscriptions { edges { node { nope } } } }', {}, token);
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('answers health and readiness, and 404 for unknown paths', async () => {
    const t = await startGateway();
    expect(await (await fetch(`${t.origin}/healthz`)).json()).toEqual({ status: 'ok' });
    // Ready once the store and the fan-out answer (Redis may still be connecting right after the start).
    await expect.poll(async () => (await fetch(`${t.origin}/readyz`)).status, { timeout: 5000 }).toBe(200);
    expect((await fetch(`${t.origin}/nope`)).status).toBe(404);
  });

  it('refuses a body over the size limit with 413', async () => {
    const t = await startGateway();
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(200_000) }),
    });
    expect(response.status).toBe(413);
  });
});
