import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { onCleanup } from './cleanup.js';

export interface IdentityProviderKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * A stand-in OIDC issuer on a real HTTP port: it publishes a JWKS (what it lists can change, as in a
 * key rotation), counts fetches, can stop answering, and signs tokens with any of its keys.
 */
export interface IdentityProvider {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** How many times the JWKS was fetched. */
  readonly fetches: () => number;
  newKey(alg?: 'RS256' | 'ES256'): Promise<IdentityProviderKey>;
  /** Publishes exactly these keys from now on. */
  publish(...keys: IdentityProviderKey[]): void;
  /** A token signed with `key`, `iss` this issuer, expiring in 5 minutes unless `claims.exp` says otherwise. */
  sign(key: IdentityProviderKey, claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** 'down': connections refused; 'hang': accepted but never answered; 'up': serving. */
  setState(state: 'up' | 'down' | 'hang'): Promise<void>;
}

export async function startIdentityProvider(
  issuer = 'https://login.example.test/tenant/v2.0',
): Promise<IdentityProvider> {
  let published: IdentityProviderKey[] = [];
  let fetches = 0;
  let hanging = false;
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      const next = createServer((request, response) => {
        fetches += 1;
        if (hanging) return; // never answers: the client's timeout must end the wait
        if (request.url !== '/keys') {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
      });
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as AddressInfo).port;
        server = next;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const current = server;
      server = null;
      if (!current) return resolve();
      current.closeAllConnections();
      current.close(() => resolve());
    });
  await listen();
  onCleanup(stop);
  let kids = 0;
  return {
    issuer,
    jwksUrl: `http://127.0.0.1:${port}/keys`,
    fetches: () => fetches,
    async newKey(alg = 'RS256') {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `key-${++kids}`;
      return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    },
    publish(...keys) {
      published = keys;
    },
    sign(key, claims, header = {}) {
      // A jti of its own, so two tokens signed in the same second are never the same string.
      return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 300, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
        .setIssuer(issuer)
        .setIssuedAt()
        .sign(key.privateKey);
    },
    async setState(state) {
      hanging = state === 'hang';
      if (state === 'down') await stop();
      else if (!server) await listen();
    },
  };
}
