import { dataOf, type GraphQLResponse, graphql } from './graphql-http.js';

// The operations tests use most, written once.

export const CREATE_DEVICE = `mutation ($input: CreateDeviceSubscriptionInput!) {
  createDeviceSubscription(input: $input) { id platform deviceLabel expirationDateTime createdDateTime }
}`;

export const CREATE_NOTIFICATION = `mutation ($input: CreateNotificationInput!) {
  createNotification(input: $input) {
    outcome
    notification { id appNotificationId targetHostName priority groupName displayTimeToLive expirationDateTime
      readState userActionState status createdDateTime lastModifiedDateTime
      payload { visualContent { title body } rawContent } targetPolicy { platformTypes }
      fallbackPolicy { endpointFallback { platformTypes fallbackDelayInSeconds visualContent { title body } } } }
  }
}`;

export const FEED = `query ($first: Int, $after: String, $filter: NotificationFilter) {
  notifications(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id appNotificationId readState groupName } }
    pageInfo { hasNextPage endCursor }
    feedCursor
  }
}`;

export async function createDevice(
  url: string,
  userToken: string,
  platform: string,
  deviceLabel = `${platform} device`,
) {
  const response = await graphql<{ createDeviceSubscription: { id: string } }>(
    url,
    CREATE_DEVICE,
    { input: { platform, deviceLabel } },
    userToken,
  );
  return dataOf(response).createDeviceSubscription.id;
}

export function postNotification(
  url: string,
  appToken: string,
  input: Record<string, unknown>,
): Promise<GraphQLResponse<{ createNotification: { outcome: string; notification: Record<string, any> } }>> {
  return graphql(url, CREATE_NOTIFICATION, { input }, appToken);
}

/** A valid notification input for `unsid`; `overrides` replace top-level fields. */
export const notificationInput = (
  unsid: string,
  targetHostName: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> => ({
  deviceSubscriptionId: unsid,
  appNotificationId: `n-${Math.random().toString(36).slice(2)}`,
  targetHostName,
  payload: { visualContent: { title: 'Hello', body: 'World' } },
  ...overrides,
});

/** Input overrides for a HIGH raw notification with a fallback to its visual content on Android after 60 s. */
export const WITH_ANDROID_FALLBACK = {
  priority: 'HIGH',
  payload: { rawContent: '{"call":"incoming"}' },
  fallbackPolicy: {
    endpointFallback: {
      platformTypes: ['ANDROID'],
      fallbackDelayInSeconds: 60,
      visualContent: { title: 'Missed call' },
    },
  },
} as const;

/** The feed's current cursor, from which a live feed misses nothing. */
export async function feedCursor(url: string, userToken: string): Promise<string> {
  const response = await graphql<{ notifications: { feedCursor: string } }>(
    url,
    FEED,
    { first: 1 },
    userToken,
  );
  return dataOf(response).notifications.feedCursor;
}

export const DEVICE_PAGE = `query ($first: Int, $after: String) {
  deviceSubscriptions(first: $first, after: $after) {
    edges { cursor node { id platform deviceLabel expirationDateTime createdDateTime } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface DeviceView {
  id: string;
  platform: string;
  deviceLabel: string;
  expirationDateTime: string;
  createdDateTime: string;
}

export interface DevicePage {
  edges: Array<{ cursor: string; node: DeviceView }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Every live device of the token's user, page by page (100 a page), oldest first. */
export async function listDevices(url: string, userToken: string): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let after: string | null = null;
  for (;;) {
    const response = await graphql<{ deviceSubscriptions: DevicePage }>(
      url,
      DEVICE_PAGE,
      { first: 100, after },
      userToken,
    );
    const page: DevicePage = dataOf(response).deviceSubscriptions;
    devices.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return devices;
    after = page.pageInfo.endCursor;
  }
}
