// The client library for client apps: follow a user's feed live, resume from a cursor, change state.
// Runs in browsers and in Node 20+ (give it `webSocketImpl` where there is no global WebSocket).
// Public surface: add exports here with intention.

export { exponentialBackoff, type RetryWait } from './backoff.js';
export { ClientErrorCode, TidingsClientError } from './client-error.js';
export {
  type CursorStore,
  createLocalStorageCursorStore,
  createMemoryCursorStore,
  type FeedPosition,
  type StorageLike,
} from './cursor-store.js';
export {
  createDeviceSubscription,
  type GatewayAccess,
  listDeviceSubscriptions,
} from './device-subscriptions.js';
export type { FetchLike } from './graphql-http.js';
export { isTargetedAt, visualContentFor } from './targeting.js';
export {
  createTidingsClient,
  type StateChange,
  type TidingsClient,
  type TidingsClientOptions,
} from './tidings-client.js';
export type {
  ChangeKind,
  ClientStatus,
  DeviceSubscription,
  FeedUpdate,
  Notification,
  NotificationStatus,
  Platform,
  Priority,
  ReadState,
  TokenProvider,
  UserActionState,
  VisualContent,
} from './types.js';
export {
  disableWebPush,
  enableWebPush,
  getWebPushKey,
  type PushRegistration,
  type PushSubscriptionJSONLike,
  type PushSubscriptionLike,
  setDevicePushSubscription,
  type WebPushDevice,
  type WebPushOptions,
} from './web-push.js';
