import { createHash } from 'node:crypto';
import { isTargeted } from '../../domain/targeting.js';
import type { Change, Platform, Priority, VisualContent } from '../../domain/types.js';

/**
 * Largest payload pushed, in bytes before encryption. Push services take 4,096 bytes of encrypted body
 * (RFC 8291 adds 86 bytes and a padding delimiter); the margin leaves room for the record overhead of
 * every service. A bigger visual content is cut with an ellipsis: a push is never refused for its size.
 */
export const MAX_PUSH_PAYLOAD_BYTES = 3000;

/** What a service worker receives (`event.data.json()`): see PROTOCOL.md "Web Push". */
export type PushPayload =
  | {
      readonly v: 1;
      readonly kind: 'CREATED' | 'REPLACED' | 'FALLBACK';
      readonly notification: {
        readonly id: string;
        readonly appNotificationId: string;
        readonly title: string;
        readonly body: string | null;
        readonly priority: Priority;
        readonly groupName: string | null;
        readonly expirationDateTime: string;
      };
      readonly tag: string;
      readonly close?: readonly string[];
    }
  | {
      readonly v: 1;
      readonly kind: 'SYNC';
      readonly tag: 'tidings:sync';
      readonly close?: readonly string[];
    };

/** One push, ready for web-push: its JSON payload and RFC 8030 headers. */
export interface PushMessage {
  readonly payload: string;
  /** Seconds the push service keeps it for an offline browser: until the notification expires. */
  readonly ttlSeconds: number;
  readonly urgency: 'low' | 'normal' | 'high';
  /** A pending push with the same topic is replaced by this one (a replacement replaces its push). */
  readonly topic: string;
}

const URGENCY: Readonly<Record<Priority, PushMessage['urgency']>> = {
  HIGH: 'high',
  LOW: 'low',
  NONE: 'normal',
};

/**
 * Whether a change is pushed to a device of `platform`: a creation or replacement where its target policy
 * includes the platform, a fallback where its fallback policy does (as the live feed sends them).
 */
export function isPushedTo(change: Change, platform: Platform): boolean {
  switch (change.kind) {
    case 'CREATED':
    case 'REPLACED':
      return isTargeted(change.notification, platform);
    case 'FALLBACK':
      return change.notification.fallbackPolicy?.platformTypes.includes(platform) ?? false;
    default:
      return false;
  }
}

/** RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet; a hash of the app's key. */
export const topicOf = (appNotificationId: string): string =>
  createHash('sha256').update(appNotificationId).digest().subarray(0, 24).toString('base64url');

/**
 * The push for a change (CREATED, REPLACED or FALLBACK), its payload within MAX_PUSH_PAYLOAD_BYTES, with
 * the tags of the notifications in `close` (ids) for the service worker to close first.
 */
export function pushMessageOf(change: Change, now: Date, close: readonly string[] = []): PushMessage {
  const closeField = close.length > 0 ? { close: close.map((id) => `tidings:${id}`) } : {};
  const { notification } = change;
  const headers = {
    ttlSeconds: Math.max(0, Math.floor((notification.expirationDateTime.getTime() - now.getTime()) / 1000)),
    urgency: URGENCY[notification.priority],
    topic: topicOf(notification.appNotificationId),
  };
  const visual: VisualContent | null =
    change.kind === 'FALLBACK'
      ? (notification.fallbackPolicy?.visualContent ?? null)
      : notification.visualContent;
  // Raw content is for the app, which a push cannot hand over: wake it to sync with `notifications`.
  const kind = change.kind;
  if (!visual || (kind !== 'CREATED' && kind !== 'REPLACED' && kind !== 'FALLBACK')) {
    return {
      ...headers,
      payload: JSON.stringify({ v: 1, kind: 'SYNC', tag: 'tidings:sync', ...closeField }),
    };
  }
  const payloadWith = (title: string, body: string | null): string =>
    JSON.stringify({
      v: 1,
      kind,
      notification: {
        id: notification.id,
        appNotificationId: notification.appNotificationId,
        title,
        body,
        priority: notification.priority,
        groupName: notification.groupName,
        expirationDateTime: notification.expirationDateTime.toISOString(),
      },
      tag: `tidings:${notification.id}`,
      ...closeField,
    } satisfies PushPayload);
  let payload = payloadWith(visual.title, visual.body);
  if (Buffer.byteLength(payload) > MAX_PUSH_PAYLOAD_BYTES) {
    // The body gives way first, then the title (both are bounded, the other fields small).
    const body =
      visual.body === null ? null : cutToFit(visual.body, (text) => payloadWith(visual.title, text));
    payload = payloadWith(visual.title, body);
    if (Buffer.byteLength(payload) > MAX_PUSH_PAYLOAD_BYTES) {
      payload = payloadWith(
        cutToFit(visual.title, (text) => payloadWith(text, '')),
        '',
      );
    }
  }
  return { ...headers, payload };
}

/**
 * The longest prefix of `text` (whole code points) plus an ellipsis whose payload fits, by bisection:
 * JSON escaping makes a character cost 1 to 6 bytes, so the size is measured, not computed.
 */
function cutToFit(text: string, payloadWith: (text: string) => string): string {
  const points = [...text];
  const fits = (length: number) =>
    Buffer.byteLength(payloadWith(`${points.slice(0, length).join('')}…`)) <= MAX_PUSH_PAYLOAD_BYTES;
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low === 0 ? '' : `${points.slice(0, low).join('')}…`;
}
