import type { Platform, Priority } from '../domain/types.js';

// Microsoft Graph's `notification` resource (beta, retired in 2022) and our CreateNotificationInput have
// the same camelCase fields; only some spellings differ. This module translates spellings and nothing
// else: every rule about values (lengths, ranges, required fields, types) stays in the GraphQL schema and
// in toNotificationContent, which the Graph route runs through the same createNotification mutation. The
// one exception, in graph-rest.ts: Graph required targetHostName, which GraphQL lets an app leave out.

/** The createNotification mutation the Graph route runs, selecting what Graph answered with. */
export const GRAPH_CREATE_NOTIFICATION = `mutation GraphRestCreateNotification($input: CreateNotificationInput!) {
  createNotification(input: $input) {
    notification {
      id appNotificationId targetHostName priority groupName displayTimeToLive expirationDateTime
      payload { visualContent { title body } rawContent }
      targetPolicy { platformTypes }
      fallbackPolicy { endpointFallback { platformTypes fallbackDelayInSeconds visualContent { title body } } }
    }
  }
}`;

/** Graph's spellings (any case): its docs use `windows`/`ios`/`android`, its resource page `WebPush`. */
const PLATFORM_OF: Readonly<Record<string, Platform>> = {
  windows: 'WINDOWS',
  android: 'ANDROID',
  ios: 'IOS',
  web: 'WEB',
  webpush: 'WEB',
};
const PRIORITY_OF: Readonly<Record<string, Priority>> = { none: 'NONE', low: 'LOW', high: 'HIGH' };
const GRAPH_PLATFORM: Readonly<Record<Platform, string>> = {
  WINDOWS: 'windows',
  ANDROID: 'android',
  IOS: 'ios',
  WEB: 'web',
};
const GRAPH_PRIORITY: Readonly<Record<Priority, string>> = { NONE: 'None', LOW: 'Low', HIGH: 'High' };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The GraphQL `CreateNotificationInput` for a Graph request body and the X-UNS-ID header. Values whose
 * spelling is not known are passed on as they are, so GraphQL refuses them with BAD_USER_INPUT.
 */
export function toCreateNotificationInput(body: JsonObject, unsid: string): JsonObject {
  const input = withoutAnnotations(body) as JsonObject;
  const targetPolicy = objectAt(input, 'targetPolicy');
  if (targetPolicy) targetPolicy.platformTypes = platforms(targetPolicy.platformTypes);
  const endpointFallback = objectAt(objectAt(input, 'fallbackPolicy') ?? {}, 'endpointFallback');
  if (endpointFallback) {
    endpointFallback.platformTypes = platforms(endpointFallback.platformTypes);
    endpointFallback.fallbackDelayInSeconds = integer(endpointFallback.fallbackDelayInSeconds);
  }
  if (typeof input.priority === 'string')
    input.priority = PRIORITY_OF[input.priority.toLowerCase()] ?? input.priority;
  // Graph's own example sends "displayTimeToLive": "60".
  if ('displayTimeToLive' in input) input.displayTimeToLive = integer(input.displayTimeToLive);
  return { ...input, deviceSubscriptionId: unsid };
}

/** A notification as createNotification selected it (GRAPH_CREATE_NOTIFICATION). */
export interface CreatedNotification {
  readonly id: string;
  readonly appNotificationId: string;
  readonly targetHostName: string;
  readonly priority: Priority;
  readonly groupName: string | null;
  readonly displayTimeToLive: number | null;
  readonly expirationDateTime: string;
  readonly payload: { visualContent: VisualContent | null; rawContent: string | null };
  readonly targetPolicy: { platformTypes: Platform[] };
  readonly fallbackPolicy: {
    endpointFallback: {
      platformTypes: Platform[];
      fallbackDelayInSeconds: number;
      visualContent: VisualContent;
    };
  } | null;
}
// A type, not an interface: only types are assignable to Json's index signature.
type VisualContent = { title: string; body: string | null };

/** The notification as Graph answered it: its resource's properties, in its spellings. */
export function toGraphNotification(notification: CreatedNotification): JsonObject {
  const { fallbackPolicy } = notification;
  return {
    id: notification.id,
    appNotificationId: notification.appNotificationId,
    targetHostName: notification.targetHostName,
    groupName: notification.groupName,
    targetPolicy: { platformTypes: notification.targetPolicy.platformTypes.map((p) => GRAPH_PLATFORM[p]) },
    payload: { ...notification.payload },
    displayTimeToLive: notification.displayTimeToLive,
    expirationDateTime: notification.expirationDateTime,
    priority: GRAPH_PRIORITY[notification.priority],
    fallbackPolicy: fallbackPolicy && {
      endpointFallback: {
        ...fallbackPolicy.endpointFallback,
        platformTypes: fallbackPolicy.endpointFallback.platformTypes.map((p) => GRAPH_PLATFORM[p]),
      },
    },
  };
}

/**
 * Objects and arrays nested deeper than any notification's (its deepest member is
 * fallbackPolicy.endpointFallback.visualContent.title, 4 levels), with room to spare. Refused before
 * anything walks the body: a 40 KB body of nested arrays would otherwise overflow the stack.
 */
export const MAX_BODY_NESTING = 16;

/** Whether `value` holds objects or arrays more than `levels` deep; never looks further than that. */
export function nestedDeeperThan(value: Json, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  return Object.values(value).some((inner) => nestedDeeperThan(inner, levels - 1));
}

/** A copy without OData annotations (`@odata.type`, …), which Graph's SDKs may add to any object. */
function withoutAnnotations(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutAnnotations);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own members: a "__proto__" member stays one (and GraphQL refuses it as an
  // unknown field) instead of becoming the copy's prototype, whose members would be read as the body's.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('@odata.'))
      .map(([key, inner]) => [key, withoutAnnotations(inner)]),
  );
}

function objectAt(parent: JsonObject, key: string): JsonObject | undefined {
  const value = parent[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

const platforms = (value: Json | undefined): Json =>
  Array.isArray(value)
    ? value.map((p) => (typeof p === 'string' ? (PLATFORM_OF[p.toLowerCase()] ?? p) : p))
    : (value ?? null);

/** Graph accepted Int32 properties as JSON strings of digits too. */
const integer = (value: Json | undefined): Json =>
  typeof value === 'string' && /^\s*-?\d{1,10}\s*$/.test(value) ? Number(value) : (value ?? null);
