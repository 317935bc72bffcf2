import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { ErrorCode, GatewayError } from '../../src/errors.js';
import { heapHolds } from '../support/heap.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'tidings-test';
const CLAIMS = { user: 'sub', app: 'azp', scopes: ['scp'], tokenType: 'idtyp', appTokenType: 'app' };

async function issuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const verify = createTokenVerifier({
    keys: createLocalJWKSet({ keys: [jwk] }),
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    clockToleranceSeconds: 0,
    claims: CLAIMS,
  });
  const sign = (subject: string, claims: Record<string, unknown> = {}, expiresAt: number | string = '1h') =>
    new SignJWT({ azp: 'app-1', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setExpirationTime(expiresAt)
      .sign(privateKey);
  return { verify, sign };
}

describe('token verifier', () => {
  it('remembers a verified token without keeping its text', async () => {
    const { verify, sign } = await issuer();
    // The signature is random, so it is in the heap only where the token's text is kept.
    const signature = await (async () => {
      const token = await sign('alice');
      const principal = await verify(token);
      const bytes = Buffer.from(token);
      return { principal, signature: bytes.subarray(bytes.lastIndexOf('.') + 1) };
    })();
    const holds = await heapHolds(signature.signature);
    expect(signature.principal).toMatchObject({ kind: 'user', subject: 'alice', appId: 'app-1' });
    expect(holds).toBe(false);
  });

  it('answers a token it verified before from memory, and still refuses a changed one', async () => {
    const { verify, sign } = await issuer();
    const token = await sign('bob');
    const first = await verify(token);
    // The same principal object: remembered, not verified again.
    expect(await verify(token)).toBe(first);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const refused = await verify(tampered).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe(ErrorCode.Unauthenticated);
  });

  it('keeps a token lifetime as a number, the instant jose starts refusing it', async () => {
    const { verify, sign } = await issuer();
    const exp = Math.floor(Date.now() / 1000) + 600;
    const principal = await verify(await sign('carol', {}, exp));
    // Tolerance 0: refused from exp on. A number, not a Date, on every open socket's principal.
    expect(principal.acceptedUntilMs).toBe(exp * 1000);
  });

  it('gives principals with the same scopes one shared, frozen list', async () => {
    const { verify, sign } = await issuer();
    const alice = await verify(await sign('alice', { scp: 'Notifications.Read offline_access' }));
    const bob = await verify(await sign('bob', { scp: 'Notifications.Read offline_access' }));
    expect(alice.scopes).toEqual(['Notifications.Read', 'offline_access']);
    expect(bob.scopes).toBe(alice.scopes);
    expect(Object.isFrozen(alice.scopes)).toBe(true);
    // A list that would read the same joined by a space is another list.
    const carol = await verify(await sign('carol', { scp: ['Notifications.Read offline_access'] }));
    expect(carol.scopes).toEqual(['Notifications.Read offline_access']);
    const dave = await verify(await sign('dave', { scp: 'Notifications.Read' }));
    expect(dave.scopes).toEqual(['Notifications.Read']);
    expect(dave.scopes).not.toBe(alice.scopes);
    // A list past the size shared is the token's own, frozen all the same.
    const long = Array.from({ length: 100 }, (_, i) => `scope.${i}`).join(' ');
    const erin = await verify(await sign('erin', { scp: long }));
    const frank = await verify(await sign('frank', { scp: long }));
    expect(erin.scopes).toHaveLength(100);
    expect(frank.scopes).toEqual(erin.scopes);
    expect(frank.scopes).not.toBe(erin.scopes);
    expect(Object.isFrozen(erin.scopes)).toBe(true);
  });
});
