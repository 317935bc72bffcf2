import { getHeapSnapshot } from 'node:v8';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { ErrorCode, GatewayError } from '../../src/errors.js';

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
  const sign = (subject: string) =>
    new SignJWT({ azp: 'app-1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setExpirationTime('1h')
      .sign(privateKey);
  return { verify, sign };
}

/** Whether these bytes occur in any string of this process's heap (a snapshot collects garbage first). */
async function heapHolds(text: Buffer): Promise<boolean> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).includes(text);
}

describe('token verifier', () => {
  it('remembers a verified token without keeping its text', async () => {
    const { verify, sign } = await issuer();
    // The signature is random, so it is in the heap only where the token's text is kept. It is searched
    // for as bytes outside the heap (a Buffer), so that the search does not find a copy of its own.
    const signature = await (async () => {
      const token = await sign('alice');
      const principal = await verify(token);
      const bytes = Buffer.from(token);
      return { principal, signature: bytes.subarray(bytes.lastIndexOf('.') + 1) };
    })();
    // V8 keeps the subject of the last regular-expression match (one string per process; jose matches
    // the token's parts): another match replaces it.
    /./.exec('-');
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
});
