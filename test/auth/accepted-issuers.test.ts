import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAcceptedIssuersVerifier, MAX_REMEMBERED_ISSUERS } from '../../src/auth/accepted-issuers.js';
import { createEmbeddedIssuer, type EmbeddedIssuer } from '../../src/auth/embedded-issuer.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../src/auth/signing-key.js';
import type { TokenVerifier } from '../../src/auth/token-verifier.js';
import { GatewayError } from '../../src/errors.js';
import { temporaryDataDir } from '../support/gateway.js';
import { heapHolds } from '../support/heap.js';

const ISSUER = 'urn:tidings:embedded';
const AUDIENCE = 'tidings';

/** What a verification ends with: the principal's subject, or the refusal's code and reason. */
async function outcome(verify: TokenVerifier, token: string) {
  try {
    const principal = await verify(token);
    return { subject: principal.kind === 'user' ? principal.subject : null };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { code: error.code, reason: error.extensions.reason };
  }
}

// The verifier remembers each token's unverified issuer (which verifier to ask): remembering must never
// let a token through that the issuer it names would refuse, nor keep refusing a good one.
describe('the accepted issuers verifier', () => {
  let key: SigningKey;
  let embedded: EmbeddedIssuer;
  let verify: TokenVerifier;

  beforeAll(async () => {
    key = await loadOrCreateSigningKey(temporaryDataDir());
    embedded = createEmbeddedIssuer({ key, issuer: ISSUER, audience: AUDIENCE });
    verify = createAcceptedIssuersVerifier(embedded, null, 5, () => new Date());
  });

  it('answers the same token alike every time, also once its issuer is remembered', async () => {
    const token = await embedded.issueUserToken('alice', 'app-1', 600);
    for (let i = 0; i < 3; i += 1) expect(await outcome(verify, token)).toEqual({ subject: 'alice' });
  });

  it('refuses a token of an unknown issuer every time, and a token that is no JWT', async () => {
    const stranger = await new SignJWT({ azp: 'app-1' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer('https://stranger.example.com')
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('10m')
      .sign(key.privateKey);
    for (let i = 0; i < 2; i += 1) {
      expect(await outcome(verify, stranger)).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'ERR_UNKNOWN_ISSUER',
      });
      expect(await outcome(verify, 'not-a-jwt')).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'ERR_UNKNOWN_ISSUER',
      });
    }
  });

  it('still checks the signature of a token whose issuer it remembers', async () => {
    const token = await embedded.issueUserToken('alice', 'app-1', 600);
    expect(await outcome(verify, token)).toEqual({ subject: 'alice' });
    // Same header and claims (so the same remembered issuer), another signature.
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await outcome(verify, forged)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('keeps answering past the number of issuers it remembers', async () => {
    const tokens = await Promise.all(
      Array.from({ length: MAX_REMEMBERED_ISSUERS + 5 }, (_, i) =>
        embedded.issueUserToken(`user-${i}`, 'app-1', 600),
      ),
    );
    for (const [i, token] of tokens.entries()) {
      expect(await outcome(verify, token)).toEqual({ subject: `user-${i}` });
    }
    expect(await outcome(verify, tokens[0] as string)).toEqual({ subject: 'user-0' });
  });

  it('remembers the tokens it answered without keeping their text', async () => {
    // The signatures are random, so they are in the heap only where a token's text is kept.
    const signatures = await (async () => {
      const tokens = await Promise.all(
        ['carol', 'dave'].map((user) => embedded.issueUserToken(user, 'app-1', 600)),
      );
      for (const token of tokens)
        expect(await outcome(verify, token)).toMatchObject({ subject: expect.any(String) });
      return tokens.map((token) => {
        const bytes = Buffer.from(token);
        return bytes.subarray(bytes.lastIndexOf('.') + 1);
      });
    })();
    for (const signature of signatures) expect(await heapHolds(signature)).toBe(false);
  });
});
