import { ECDH } from 'node:crypto';
import { ipLiteralOf, isReachablePushAddress } from '../../delivery/web-push/push-service-address.js';
import type { Platform, PushSubscription } from '../../domain/types.js';
import { badInput } from '../../errors.js';
import type { GatewayContext } from '../context.js';
import type { PushSubscriptionInput } from '../generated/resolvers-types.js';

/** Longest endpoint accepted: push services' URLs are a few hundred characters. */
const MAX_ENDPOINT_LENGTH = 2048;
/** An uncompressed P-256 point: 0x04, then x and y of 32 bytes each (RFC 8291). */
const P256DH_BYTES = 65;
/** The auth secret of RFC 8291. */
const AUTH_BYTES = 16;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** base64url (padding tolerated, as some browsers' toJSON() keep it) → bytes, or null when not base64url. */
function base64url(value: string): Buffer | null {
  const trimmed = value.replace(/=+$/, '');
  return /^[A-Za-z0-9_-]+$/.test(trimmed) ? Buffer.from(trimmed, 'base64url') : null;
}

/** Whether the bytes are a point of P-256 (else every push to it would fail to encrypt). */
function onCurve(point: Buffer): boolean {
  try {
    ECDH.convertKey(point, 'prime256v1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A browser's push subscription, checked: an `https:` endpoint (`http:` on a loopback host only where
 * TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST allows it), a 65-byte uncompressed P-256 key and a 16-byte
 * auth secret. The endpoint is never echoed in a message: it is a secret.
 * @throws GatewayError BAD_USER_INPUT naming the field at fault.
 */
export function pushSubscriptionOf(
  input: PushSubscriptionInput,
  options: { readonly allowInsecureLocalhost: boolean },
): PushSubscription {
  const field = 'pushSubscription';
  const endpoint = input.endpoint.trim();
  const url = endpoint.length <= MAX_ENDPOINT_LENGTH && URL.canParse(endpoint) ? new URL(endpoint) : null;
  if (!url) throw badInput(`${field}.endpoint`, 'pushSubscription.endpoint must be a URL.');
  const insecureAllowed =
    options.allowInsecureLocalhost && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !insecureAllowed) {
    throw badInput(`${field}.endpoint`, 'pushSubscription.endpoint must be an https: URL.');
  }
  const literal = ipLiteralOf(url);
  if (literal && !isReachablePushAddress(literal, options.allowInsecureLocalhost)) {
    throw badInput(
      `${field}.endpoint`,
      'pushSubscription.endpoint must be a push service on a public address.',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw badInput(`${field}.endpoint`, 'pushSubscription.endpoint must not carry credentials.');
  }
  const p256dh = base64url(input.keys.p256dh);
  if (p256dh?.length !== P256DH_BYTES || p256dh[0] !== 0x04 || !onCurve(p256dh)) {
    throw badInput(
      `${field}.keys.p256dh`,
      'pushSubscription.keys.p256dh must be a base64url uncompressed P-256 public key (65 bytes).',
    );
  }
  const auth = base64url(input.keys.auth);
  if (auth?.length !== AUTH_BYTES) {
    throw badInput(`${field}.keys.auth`, 'pushSubscription.keys.auth must be 16 bytes, base64url.');
  }
  // Kept as base64url without padding, as web-push and RFC 8291 examples spell them.
  return { endpoint, p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') };
}

/**
 * A push subscription for a device of `platform`, checked (see pushSubscriptionOf).
 * @throws GatewayError BAD_USER_INPUT for a device that is not WEB (browsers are the only Web Push
 *   clients), or a bad endpoint or keys.
 */
export function checkedPushSubscription(
  context: GatewayContext,
  platform: Platform,
  input: PushSubscriptionInput,
): PushSubscription {
  if (platform !== 'WEB') {
    throw badInput('pushSubscription', 'Only WEB device subscriptions take a pushSubscription.');
  }
  return pushSubscriptionOf(input, {
    allowInsecureLocalhost: context.services.config.webPush.allowInsecureLocalhost,
  });
}
