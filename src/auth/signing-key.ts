import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** The key the embedded issuer signs with (and verifies). */
export const KEY_FILE = 'signing-key.json';
/** During a rotation: the key it signed with before, still verified until its tokens have expired. */
export const PREVIOUS_KEY_FILE = 'signing-key.previous.json';
/** Before a rotation: the key it will sign with, verified already (see src/auth/key-rotation.ts). */
export const NEXT_KEY_FILE = 'signing-key.next.json';

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
    // 'wx' fails if another process created the key meanwhile; then we read theirs below.
    try {
      writeFileSync(path, JSON.stringify(await generatePrivateJwk()), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  keepPrivate(path);
  const jwk = readPrivateJwk(path);
  const publicJwk = await publicJwkOf(jwk);
  const privateKey = (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
  return Object.freeze({ kid: publicJwk.kid as string, privateKey, publicJwk });
}

/**
 * Makes the key file owner-only unless it is already (0600, or 0400 as a secret store mounts it): a file
 * on a read-only mount cannot be changed, and one that needs no change must not stop the start.
 * @throws Error (Node's) when it is readable by others and cannot be changed for another reason.
 */
function keepPrivate(path: string): void {
  if ((statSync(path).mode & 0o077) === 0) return;
  try {
    chmodSync(path, 0o600);
  } catch (error) {
    // A read-only mount keeps the mode it was given (e.g. a Kubernetes secret's defaultMode): its owner's.
    if ((error as NodeJS.ErrnoException).code !== 'EROFS') throw error;
  }
}

/**
 * The public halves of the keys verified beside the signing key during a rotation: the previous key and
 * the staged next one, those that exist (see src/auth/key-rotation.ts).
 * @throws Error when one of their files is not an EC P-256 private key.
 */
export async function loadVerificationKeys(dataDir: string): Promise<readonly JWK[]> {
  const paths = [PREVIOUS_KEY_FILE, NEXT_KEY_FILE]
    .map((file) => join(dataDir, file))
    .filter((path) => existsSync(path));
  return Promise.all(paths.map((path) => publicJwkOf(readPrivateJwk(path))));
}

/** A new private key for the embedded issuer, as its files hold it (a JWK with `alg`). */
export async function generatePrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: SIGNING_ALGORITHM };
}

/**
 * Reads a key file of the data directory.
 * @throws Error when it is not an EC P-256 private key (JWK), naming the file; Node's when unreadable.
 */
export function readPrivateJwk(path: string): JWK {
  let jwk: JWK | undefined;
  try {
    jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error(
      `${path} is not an EC P-256 private key: restore it from a backup, or move it away (tokens it signed are then refused; a missing ${KEY_FILE} is created anew).`,
    );
  }
  return jwk;
}

/** The public half as the JWKS publishes it, with its thumbprint (RFC 7638) as `kid`. */
export async function publicJwkOf(jwk: JWK): Promise<JWK> {
  const { d: _private, ...publicPart } = jwk;
  const kid = await calculateJwkThumbprint(publicPart);
  return Object.freeze({ ...publicPart, kid, alg: SIGNING_ALGORITHM, use: 'sig' });
}
