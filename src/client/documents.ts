// The operations the client sends. One selection of a notification everywhere, so a snapshot, a change
// and a mutation's answer all have the same shape (types.ts `Notification`).

const VISUAL = 'visualContent { title body }';

export const NOTIFICATION_FIELDS = `id appNotificationId targetHostName
  payload { ${VISUAL} rawContent } targetPolicy { platformTypes } priority groupName displayTimeToLive
  expirationDateTime fallbackPolicy { endpointFallback { platformTypes fallbackDelayInSeconds ${VISUAL} } }
  readState userActionState snoozedUntil status createdDateTime lastModifiedDateTime`;

const DEVICE_FIELDS = 'id platform deviceLabel expirationDateTime createdDateTime';

export const NOTIFICATION_CHANGES = `subscription NotificationChanges($deviceSubscriptionId: ID!, $after: String) {
  notificationChanges(deviceSubscriptionId: $deviceSubscriptionId, after: $after) {
    kind cursor notification { ${NOTIFICATION_FIELDS} }
  }
}`;

export const FEED_PAGE = `query FeedPage($first: Int!, $after: String) {
  notifications(first: $first, after: $after) {
    edges { node { ${NOTIFICATION_FIELDS} } }
    pageInfo { hasNextPage endCursor }
    feedCursor
  }
}`;

export const DEVICE_SUBSCRIPTIONS = `query DeviceSubscriptions($first: Int!, $after: String) {
  deviceSubscriptions(first: $first, after: $after) {
    edges { node { ${DEVICE_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const CREATE_DEVICE_SUBSCRIPTION = `mutation CreateDeviceSubscription($input: CreateDeviceSubscriptionInput!) {
  createDeviceSubscription(input: $input) { ${DEVICE_FIELDS} }
}`;

export const RENEW_DEVICE_SUBSCRIPTION = `mutation RenewDeviceSubscription($input: RenewDeviceSubscriptionInput!) {
  renewDeviceSubscription(input: $input) { ${DEVICE_FIELDS} }
}`;

export const UPDATE_NOTIFICATION_STATE = `mutation UpdateNotificationState($input: UpdateNotificationStateInput!) {
  updateNotificationState(input: $input) { notification { ${NOTIFICATION_FIELDS} } }
}`;

export const DELETE_NOTIFICATION = `mutation DeleteNotification($input: DeleteNotificationInput!) {
  deleteNotification(input: $input) { notificationId }
}`;

export const DELETE_NOTIFICATION_GROUP = `mutation DeleteNotificationGroup($input: DeleteNotificationGroupInput!) {
  deleteNotificationGroup(input: $input) { notificationIds }
}`;

export const MARK_ALL_READ = 'mutation MarkAllRead { markAllRead { count } }';

export const ACKNOWLEDGE = `mutation Acknowledge($input: AcknowledgeNotificationsInput!) {
  acknowledgeNotifications(input: $input) { cursor }
}`;

export const WEB_PUSH = 'query WebPush { webPush { applicationServerKey } }';

/** Whether each device holds a push subscription (eachDevice pages through it). */
export const DEVICE_WEB_PUSH = `query DeviceWebPush($first: Int!, $after: String) {
  deviceSubscriptions(first: $first, after: $after) {
    edges { node { id webPush } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const SET_DEVICE_PUSH_SUBSCRIPTION = `mutation SetDevicePushSubscription($input: SetDevicePushSubscriptionInput!) {
  setDevicePushSubscription(input: $input) { ${DEVICE_FIELDS} webPush }
}`;
