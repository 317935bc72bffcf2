import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new app's client id: public, random so it reveals nothing about the app. */
export const newClientId = (): string => randomBytes(16).toString('hex');

/** A new client secret: 256 random bits, shown once and stored only as a hash. */
export const newClientSecret = (): string => randomBytes(32).toString('base64url');

/**
 * Hash for storage. SHA-256 suffices because secrets are 256 random bits, not passwords: there is
 * no dictionary to try, so a slow KDF would only slow every token request down.
 */
export const hashClientSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Constant-time check of a presented secret against the stored hash. */
export function clientSecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashClientSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
