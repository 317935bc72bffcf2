import type { EndpointFallback, NotificationContent, Priority, VisualContent } from '../../domain/types.js';
import { badInput } from '../../errors.js';
import type {
  CreateNotificationInput,
  EndpointFallbackInput,
  VisualContentInput,
} from '../generated/resolvers-types.js';
import { hasMoreCharactersThan } from './character-count.js';

// Graph's rules for a notification, and our caps. Documented in schema.graphql next to each field.
export const NOTIFICATION_LIMITS = {
  appNotificationIdLength: 200,
  titleLength: 200,
  bodyLength: 1000,
  rawContentBytes: 4096,
  groupNameLength: 100,
  maxDisplayTimeToLive: 86_400,
  defaultLifetimeMs: 7 * 24 * 3600 * 1000,
  maxLifetimeMs: 30 * 24 * 3600 * 1000,
  minFallbackDelay: 60,
  maxFallbackDelay: 600,
} as const;

/**
 * Validates an app's notification as Graph did (except that `targetHostName` may be left out) and applies
 * the defaults.
 * @throws GatewayError BAD_USER_INPUT with `extensions.field` naming the first bad field.
 */
export function toNotificationContent(
  input: CreateNotificationInput,
  appHostName: string,
  now: Date,
): NotificationContent {
  const appNotificationId = text(
    input.appNotificationId,
    'appNotificationId',
    NOTIFICATION_LIMITS.appNotificationIdLength,
  );
  // Absent: the token already names the app. Given: it must be that app's, as Graph required.
  if (input.targetHostName != null && input.targetHostName.toLowerCase() !== appHostName.toLowerCase()) {
    throw badInput('targetHostName', "targetHostName must be your app's registered host name.");
  }
  const visualContent = input.payload.visualContent
    ? visual(input.payload.visualContent, 'payload.visualContent')
    : null;
  const rawContent = input.payload.rawContent ?? null;
  if (
    rawContent !== null &&
    (rawContent === '' || Buffer.byteLength(rawContent) > NOTIFICATION_LIMITS.rawContentBytes)
  ) {
    throw badInput(
      'payload.rawContent',
      `rawContent must be 1 to ${NOTIFICATION_LIMITS.rawContentBytes} bytes.`,
    );
  }
  if (visualContent === null && rawContent === null) {
    throw badInput('payload', 'payload needs visualContent, rawContent or both.');
  }
  const priority = input.priority ?? 'NONE';
  const groupName =
    input.groupName === undefined || input.groupName === null
      ? null
      : text(input.groupName, 'groupName', NOTIFICATION_LIMITS.groupNameLength);
  const ttl = input.displayTimeToLive ?? null;
  if (ttl !== null && (ttl < 1 || ttl > NOTIFICATION_LIMITS.maxDisplayTimeToLive)) {
    throw badInput(
      'displayTimeToLive',
      `displayTimeToLive must be 1 to ${NOTIFICATION_LIMITS.maxDisplayTimeToLive} seconds.`,
    );
  }
  const expirationDateTime =
    input.expirationDateTime ?? new Date(now.getTime() + NOTIFICATION_LIMITS.defaultLifetimeMs);
  if (expirationDateTime.getTime() <= now.getTime()) {
    throw badInput('expirationDateTime', 'expirationDateTime must be in the future.');
  }
  if (expirationDateTime.getTime() > now.getTime() + NOTIFICATION_LIMITS.maxLifetimeMs) {
    throw badInput('expirationDateTime', 'expirationDateTime must be at most 30 days ahead.');
  }
  return {
    appNotificationId,
    targetHostName: appHostName,
    priority,
    groupName,
    visualContent,
    rawContent,
    platformTypes: unique(input.targetPolicy?.platformTypes ?? []),
    displayTimeToLive: ttl,
    expirationDateTime,
    fallbackPolicy: input.fallbackPolicy
      ? fallback(input.fallbackPolicy.endpointFallback, priority, rawContent)
      : null,
  };
}

function fallback(
  input: EndpointFallbackInput,
  priority: Priority,
  rawContent: string | null,
): EndpointFallback {
  const field = 'fallbackPolicy.endpointFallback';
  if (priority !== 'HIGH' || rawContent === null) {
    throw badInput(
      'fallbackPolicy',
      'fallbackPolicy applies only to HIGH priority notifications with rawContent.',
    );
  }
  const { minFallbackDelay: min, maxFallbackDelay: max } = NOTIFICATION_LIMITS;
  if (input.fallbackDelayInSeconds < min || input.fallbackDelayInSeconds > max) {
    throw badInput(`${field}.fallbackDelayInSeconds`, `fallbackDelayInSeconds must be ${min} to ${max}.`);
  }
  if (input.platformTypes.length === 0) {
    throw badInput(`${field}.platformTypes`, 'platformTypes must name at least one platform.');
  }
  return {
    platformTypes: unique(input.platformTypes),
    fallbackDelayInSeconds: input.fallbackDelayInSeconds,
    visualContent: visual(input.visualContent, `${field}.visualContent`),
  };
}

function visual(input: VisualContentInput, field: string): VisualContent {
  const title = text(input.title, `${field}.title`, NOTIFICATION_LIMITS.titleLength);
  const body =
    input.body === undefined || input.body === null
      ? null
      : text(input.body, `${field}.body`, NOTIFICATION_LIMITS.bodyLength, true);
  return { title, body };
}

/** A string that is not blank (unless allowed) and not longer than `max` characters. */
function text(value: string, field: string, max: number, blankAllowed = false): string {
  if (!blankAllowed && value.trim() === '') throw badInput(field, `${field} must not be empty.`);
  if (hasMoreCharactersThan(value, max)) throw badInput(field, `${field} must be at most ${max} characters.`);
  return value;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
