// Rotating the embedded issuer's signing key without refusing the tokens it already signed. The data
// directory holds up to three keys: the one it signs with (signing-key.json), the one it signed with
// before (signing-key.previous.json, verified until its tokens have expired) and, for several
// processes, the one it will sign with (signing-key.next.json, verified before any process signs with it).
// Every process reads them at start; see README "Secrets and keys".

import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import {
  generatePrivateJwk,
  KEY_FILE,
  NEXT_KEY_FILE,
  PREVIOUS_KEY_FILE,
  publicJwkOf,
  readPrivateJwk,
} from './signing-key.js';

export type KeyRole = 'active' | 'previous' | 'next';

export interface KeyFile {
  readonly role: KeyRole;
  readonly file: string;
  readonly kid: string;
}

const FILES: Readonly<Record<KeyRole, string>> = {
  active: KEY_FILE,
  previous: PREVIOUS_KEY_FILE,
  next: NEXT_KEY_FILE,
};

/** The key files of the data directory, active first. @throws Error for a file that is not a key. */
export async function listSigningKeys(dataDir: string): Promise<readonly KeyFile[]> {
  const roles = (['active', 'previous', 'next'] as const).filter((role) =>
    existsSync(join(dataDir, FILES[role])),
  );
  return Promise.all(
    roles.map(async (role) => ({
      role,
      file: FILES[role],
      kid: await kidOf(readPrivateJwk(join(dataDir, FILES[role]))),
    })),
  );
}

/**
 * Creates the next key (signing-key.next.json), unless one is staged already; returns it. Processes
 * started from then on verify it, so that once it signs, processes not yet restarted accept its tokens.
 * @throws Error when there is no signing key yet, or a key file is damaged.
 */
export async function stageSigningKey(dataDir: string): Promise<KeyFile> {
  activeKey(dataDir);
  const path = join(dataDir, NEXT_KEY_FILE);
  if (!existsSync(path)) writeKeyFile(path, await generatePrivateJwk());
  return { role: 'next', file: NEXT_KEY_FILE, kid: await kidOf(readPrivateJwk(path)) };
}

/**
 * Makes the staged next key (or a new one) the signing key, and the signing key the previous one,
 * replacing any previous key. Every step leaves a valid set of files: the signing key file is replaced
 * in one rename, never absent.
 * @returns the new signing key, the one now previous, and the previous key dropped (null: none).
 * @throws Error when there is no signing key yet, or a key file is damaged.
 */
export async function rotateSigningKey(
  dataDir: string,
): Promise<{ active: KeyFile; previous: KeyFile; dropped: KeyFile | null }> {
  const current = activeKey(dataDir);
  const nextPath = join(dataDir, NEXT_KEY_FILE);
  const previousPath = join(dataDir, PREVIOUS_KEY_FILE);
  const next = existsSync(nextPath) ? readPrivateJwk(nextPath) : await generatePrivateJwk();
  const dropped = existsSync(previousPath) ? await kidOf(readPrivateJwk(previousPath)) : null;
  writeKeyFile(previousPath, current);
  writeKeyFile(join(dataDir, KEY_FILE), next);
  rmSync(nextPath, { force: true });
  return {
    active: { role: 'active', file: KEY_FILE, kid: await kidOf(next) },
    previous: { role: 'previous', file: PREVIOUS_KEY_FILE, kid: await kidOf(current) },
    dropped: dropped === null ? null : { role: 'previous', file: PREVIOUS_KEY_FILE, kid: dropped },
  };
}

function activeKey(dataDir: string): JWK {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: a gateway creates it on its first start.`);
  }
  return readPrivateJwk(path);
}

const kidOf = async (jwk: JWK): Promise<string> => (await publicJwkOf(jwk)).kid as string;

/** Writes a key file readable by its owner only, whole or not at all (a rename over the old one). */
function writeKeyFile(path: string, jwk: JWK): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(jwk), { mode: 0o600 });
  renameSync(temporary, path);
}
