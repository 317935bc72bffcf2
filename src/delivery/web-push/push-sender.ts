import http from 'node:http';
import https from 'node:https';
import webPush from 'web-push';
import type { VapidKeys } from '../../auth/vapid-keys.js';
import type { PushSubscription } from '../../domain/types.js';
import type { PushMessage } from './push-message.js';
import {
  ipLiteralOf,
  isReachablePushAddress,
  pushServiceLookup,
  REFUSED_ADDRESS,
} from './push-service-address.js';

// Sending one push: web-push builds the request (RFC 8291 aes128gcm encryption, RFC 8292 VAPID header)
// and we send it with Node's own http(s) client. web-push's sendNotification cannot do either thing we
// need: it refuses http: endpoints (the local push-service stand-in of the tests) and opens a socket per
// request with no bound. Here every request has a deadline, and each push service origin gets at most
// SOCKETS_PER_ORIGIN sockets: a push service that hangs holds those and nothing more.

/** Sockets to one push service (host and port) at once; more requests wait for one (within their deadline). */
export const SOCKETS_PER_ORIGIN = 8;
/** Bytes of a push service's answer read at most: it is only looked at for its status. */
const MAX_ANSWER_BYTES = 8192;
/** A VAPID JWT lasts this long (RFC 8292: at most 24 h) and is reused per push service until near its end. */
const VAPID_TOKEN_SECONDS = 12 * 3600;
const VAPID_RENEW_BEFORE_MS = 3600 * 1000;
/** Push service origins whose VAPID header is kept; past it the cache starts again (endpoints are the users'). */
const MAX_CACHED_ORIGINS = 256;

/** What a push service answered, as far as what to do next goes. */
export type PushAnswer =
  /** 201 (any 2xx): the push service will deliver it. */
  | { readonly kind: 'accepted' }
  /** 404 or 410: the subscription is gone for good. */
  | { readonly kind: 'gone'; readonly status: number }
  /** 429, 5xx, a timeout or a network error: try again later (`afterMs` from Retry-After, if any). */
  | { readonly kind: 'retry'; readonly afterMs: number | null; readonly reason: string }
  /** Any other answer (400, 401, 403, 413…): trying again would not help. */
  | { readonly kind: 'rejected'; readonly status: number };

export interface PushSender {
  /** Sends one push; never throws: every failure is an answer. Aborts when `signal` does. */
  send(subscription: PushSubscription, message: PushMessage, signal?: AbortSignal): Promise<PushAnswer>;
  /** Drops the idle sockets. */
  close(): void;
}

export interface PushSenderOptions {
  readonly vapidKeys: VapidKeys;
  readonly subject: string;
  /** One request's deadline, from asking for a socket to the end of the answer. */
  readonly timeoutMs: number;
  readonly now: () => Date;
  /** Loopback push services allowed (TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST); other non-public never. */
  readonly allowInsecureLocalhost: boolean;
}

/** The origin of an endpoint, the most of it ever logged (the path is the secret part). */
export const originOf = (endpoint: string): string => new URL(endpoint).origin;

export function createPushSender(options: PushSenderOptions): PushSender {
  // Names are resolved through pushServiceLookup: only public addresses are connected to.
  const agentOptions = {
    keepAlive: true,
    maxSockets: SOCKETS_PER_ORIGIN,
    maxFreeSockets: 2,
    lookup: pushServiceLookup(options.allowInsecureLocalhost),
  };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  const vapidHeaders = new Map<string, { authorization: string; renewAt: number }>();

  /** The VAPID Authorization header for a push service (`aud` = its origin), signed once per 11 h. */
  function authorizationFor(origin: string): string {
    const nowMs = options.now().getTime();
    const cached = vapidHeaders.get(origin);
    if (cached && cached.renewAt > nowMs) return cached.authorization;
    const expiresAt = Math.floor(nowMs / 1000) + VAPID_TOKEN_SECONDS;
    const { Authorization } = webPush.getVapidHeaders(
      origin,
      options.subject,
      options.vapidKeys.publicKey,
      options.vapidKeys.privateKey,
      'aes128gcm',
      expiresAt,
    );
    if (vapidHeaders.size >= MAX_CACHED_ORIGINS) vapidHeaders.clear();
    vapidHeaders.set(origin, {
      authorization: Authorization,
      renewAt: expiresAt * 1000 - VAPID_RENEW_BEFORE_MS,
    });
    return Authorization;
  }

  return {
    async send(subscription, message, signal) {
      const url = new URL(subscription.endpoint);
      // An IP literal is connected to without a lookup: checked here (registration checks it too).
      const literal = ipLiteralOf(url);
      if (literal && !isReachablePushAddress(literal, options.allowInsecureLocalhost)) {
        return { kind: 'rejected', status: 0 };
      }
      let details: webPush.RequestDetails;
      try {
        details = webPush.generateRequestDetails(
          { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
          message.payload,
          {
            TTL: message.ttlSeconds,
            urgency: message.urgency,
            topic: message.topic,
            contentEncoding: 'aes128gcm',
            headers: { Authorization: authorizationFor(url.origin) },
          },
        );
      } catch {
        // Keys that cannot encrypt (validated at registration, so only a damaged row): no retry helps.
        return { kind: 'rejected', status: 0 };
      }
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const abort = signal ? AbortSignal.any([deadline, signal]) : deadline;
      const transport = url.protocol === 'http:' ? http : https;
      return new Promise<PushAnswer>((resolve) => {
        const request = transport.request(
          url,
          {
            method: 'POST',
            headers: { ...details.headers, 'Content-Length': String(details.body?.length ?? 0) },
            agent: agents[url.protocol === 'http:' ? 'http:' : 'https:'],
            signal: abort,
          },
          (response) => {
            let read = 0;
            response.on('data', (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_ANSWER_BYTES) response.destroy();
            });
            const done = () =>
              resolve(answerOf(response.statusCode ?? 0, response.headers['retry-after'], options.now()));
            response.on('end', done);
            response.on('close', done);
            response.on('error', done);
          },
        );
        request.on('error', (error) =>
          resolve(
            (error as NodeJS.ErrnoException).code === REFUSED_ADDRESS
              ? { kind: 'rejected', status: 0 }
              : {
                  kind: 'retry',
                  afterMs: null,
                  reason: deadline.aborted
                    ? 'timeout'
                    : ((error as NodeJS.ErrnoException).code ?? error.name),
                },
          ),
        );
        request.end(details.body ?? undefined);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** What to do after an answer of `status`, with its Retry-After (seconds, or an HTTP date). */
export function answerOf(status: number, retryAfter: string | undefined, now: Date): PushAnswer {
  if (status >= 200 && status < 300) return { kind: 'accepted' };
  if (status === 404 || status === 410) return { kind: 'gone', status };
  if (status === 429 || status >= 500) {
    return { kind: 'retry', afterMs: retryAfterMs(retryAfter, now), reason: `status ${status}` };
  }
  return { kind: 'rejected', status };
}

function retryAfterMs(value: string | undefined, now: Date): number | null {
  if (value === undefined || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
