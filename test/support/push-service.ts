import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeJwt, importJWK, jwtVerify } from 'jose';
import { onCleanup } from './cleanup.js';

// A push service stand-in (RFC 8030) on a local port: it checks each push as a real one does (the VAPID
// header of RFC 8292: an ES256 JWT signed with the key `k`, `aud` its origin, `exp` within 24 h, a `sub`),
// decrypts the aes128gcm body (RFC 8188 + 8291) with the fake browser's private keys, written here from
// the RFCs with node:crypto (not with the library that encrypted it), records TTL, Urgency and Topic, and
// answers what the test scripted: 201 by default, or any status, or nothing at all (a hung service).

/** What the stand-in does with the next push of a browser. */
export type ScriptedAnswer =
  | { readonly status: number; readonly retryAfter?: string }
  | { readonly hang: true };

export interface ReceivedPush {
  readonly browser: string;
  readonly ttl: string | undefined;
  readonly urgency: string | undefined;
  readonly topic: string | undefined;
  /** The decrypted payload, parsed as JSON. */
  readonly payload: any;
  /** The plaintext's size in bytes. */
  readonly bytes: number;
  /** The VAPID public key (`k`) it was signed with. */
  readonly vapidKey: string;
  readonly status: number | 'hung';
}

/** A browser's side of one push subscription: what it hands to the app, and its private keys. */
export interface FakeBrowser {
  readonly id: string;
  /** As PushSubscription.toJSON() gives it. */
  readonly subscription: {
    readonly endpoint: string;
    readonly expirationTime: null;
    readonly keys: { readonly p256dh: string; readonly auth: string };
  };
  /** What the next pushes get, in order; then 201. */
  readonly answers: ScriptedAnswer[];
}

export interface PushServiceStandIn {
  readonly origin: string;
  /** A new browser subscribed here. */
  browser(): FakeBrowser;
  /** Every push that passed the checks, in arrival order (answered or hung). */
  readonly received: ReceivedPush[];
  /** Every request that failed a check, and why: a test expects none. */
  readonly problems: string[];
  /** Requests answered nothing yet (hung). */
  hanging(): number;
  /** TCP connections open now, and the most open at once. */
  connections(): { readonly now: number; readonly most: number };
  /** Resolves once `count` pushes have arrived (answered or hung). */
  untilReceived(count: number): Promise<void>;
}

/** Starts a stand-in on 127.0.0.1 (closed when the test file ends). */
export async function startPushService(): Promise<PushServiceStandIn> {
  const browsers = new Map<string, FakeBrowser & { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
  const received: ReceivedPush[] = [];
  const problems: string[] = [];
  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let most = 0;
  const waiters: Array<() => void> = [];
  let origin = '';

  async function handle(request: IncomingMessage, response: ServerResponse, body: Buffer) {
    const id = /^\/push\/([\w-]+)$/.exec(request.url ?? '')?.[1];
    const browser = id ? browsers.get(id) : undefined;
    if (request.method !== 'POST' || !browser) {
      response.writeHead(404).end();
      return;
    }
    const problem = (why: string) => {
      problems.push(why);
      response.writeHead(400).end(why);
    };
    const vapid = /^vapid t=([\w.-]+),\s*k=([\w-]+)$/.exec(request.headers.authorization ?? '');
    if (!vapid?.[1] || !vapid[2]) return problem(`no VAPID header: ${request.headers.authorization}`);
    const [, token, k] = vapid;
    const point = Buffer.from(k, 'base64url');
    try {
      const key = await importJWK(
        {
          kty: 'EC',
          crv: 'P-256',
          x: point.subarray(1, 33).toString('base64url'),
          y: point.subarray(33, 65).toString('base64url'),
        },
        'ES256',
      );
      await jwtVerify(token, key, { algorithms: ['ES256'], audience: origin });
    } catch (error) {
      return problem(`VAPID JWT refused: ${(error as Error).message}`);
    }
    const claims = decodeJwt(token);
    const nowSeconds = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp > nowSeconds + 24 * 3600) {
      return problem(`VAPID exp not within 24 h: ${claims.exp}`);
    }
    if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) {
      return problem(`VAPID sub not mailto: or https: ${claims.sub}`);
    }
    if (request.headers['content-encoding'] !== 'aes128gcm') {
      return problem(`Content-Encoding ${request.headers['content-encoding']}`);
    }
    let plaintext: Buffer;
    try {
      plaintext = decryptAes128gcm(body, browser.ecdh, browser.auth);
    } catch (error) {
      return problem(`cannot decrypt: ${(error as Error).message}`);
    }
    const answer = browser.answers.shift() ?? { status: 201 };
    received.push({
      browser: browser.id,
      ttl: request.headers.ttl as string | undefined,
      urgency: request.headers.urgency as string | undefined,
      topic: request.headers.topic as string | undefined,
      payload: JSON.parse(plaintext.toString('utf8')),
      bytes: plaintext.length,
      vapidKey: k,
      status: 'hang' in answer ? 'hung' : answer.status,
    });
    for (const wake of waiters.splice(0)) wake();
    if ('hang' in answer) {
      hung.add(response);
      response.on('close', () => hung.delete(response));
      return;
    }
    response.writeHead(answer.status, answer.retryAfter ? { 'Retry-After': answer.retryAfter } : {}).end();
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => void handle(request, response, Buffer.concat(chunks)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    most = Math.max(most, sockets.size);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  return {
    origin,
    browser() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const id = randomBytes(12).toString('base64url');
      const browser = {
        id,
        subscription: {
          endpoint: `${origin}/push/${id}`,
          expirationTime: null,
          keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
        },
        answers: [],
        ecdh,
        auth,
      };
      browsers.set(id, browser);
      return browser;
    },
    received,
    problems,
    hanging: () => hung.size,
    connections: () => ({ now: sockets.size, most }),
    untilReceived: (count) =>
      new Promise<void>((resolve) => {
        const check = () => (received.length >= count ? resolve() : waiters.push(check));
        check();
      }),
  };
}

/**
 * RFC 8291 decryption by the user agent: the body is RFC 8188's header (salt, record size, the sender's
 * ephemeral public key as key id) and one record, AES-128-GCM under keys derived from ECDH and the auth
 * secret.
 */
function decryptAes128gcm(body: Buffer, ecdh: ReturnType<typeof createECDH>, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const keyIdLength = body[20] ?? 0;
  const senderKey = body.subarray(21, 21 + keyIdLength);
  const record = body.subarray(21 + keyIdLength);
  if (keyIdLength !== 65) throw new Error(`key id of ${keyIdLength} bytes`);
  if (record.length > recordSize) throw new Error('more than one record');
  const receiverKey = ecdh.getPublicKey();
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), receiverKey, senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdh.computeSecret(senderKey), auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record's plaintext ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end);
}
