import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';

/** The only algorithm the embedded issuer signs with and its verifier accepts. */
export const SIGNING_ALGORITHM = 'ES256';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half as published at /.well-known/jwks.json. */
  readonly publicJwk: JWK;
}

const KEY_FILE = 'signing-key.json';

/** Whether the data directory holds the embedded issuer's key (a gateway has started with it). */
export const hasSigningKey = (dataDir: string): boolean => existsSync(join(dataDir, KEY_FILE));

/**
 * Loads the embedded issuer's key from the data directory, creating it (owner-only file) on first use,
 * so tokens stay valid across restarts and the CLI can mint tokens for a running gateway.
 * @throws Error when the key file exists but is not a private EC P-256 JWK.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const jwk = await exportJWK(privateKey);
    // 'wx' fails if another process created the key meanwhile; then we read theirs below.
    try {
      writeFileSync(path, JSON.stringify({ ...jwk, alg: SIGNING_ALGORITHM }), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(path, 0o600);
  const jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error(`${path} is not an EC P-256 private key; move it away to have a new one created.`);
  }
  const { d: _private, ...publicPart } = jwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
  return Object.freeze({
    kid,
    privateKey,
    publicJwk: Object.freeze({ ...publicPart, kid, alg: SIGNING_ALGORITHM, use: 'sig' }),
  });
}
