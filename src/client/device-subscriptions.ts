import { ClientErrorCode, TidingsClientError } from './client-error.js';
import { CREATE_DEVICE_SUBSCRIPTION, DEVICE_SUBSCRIPTIONS, RENEW_DEVICE_SUBSCRIPTION } from './documents.js';
import { createGraphQLRequest, type FetchLike, type GraphQLRequest } from './graphql-http.js';
import type { DeviceSubscription, Platform, TokenProvider } from './types.js';

export interface GatewayAccess {
  /** The gateway's GraphQL URL, e.g. https://tidings.example.com/graphql */
  readonly url: string;
  readonly token: TokenProvider;
  readonly fetch?: FetchLike;
}

/**
 * Registers this device for the user and the app the token was issued to; hand the returned id (the
 * UNSID) to your app service, and give it to {@link createTidingsClient}.
 * @throws TidingsClientError BAD_USER_INPUT (label or expiry), LIMIT_EXCEEDED (the user has the most live
 *   devices the gateway allows in the app: delete one first), RATE_LIMITED, UNAUTHENTICATED, NETWORK_ERROR.
 */
export async function createDeviceSubscription(
  access: GatewayAccess,
  input: { readonly platform: Platform; readonly deviceLabel: string; readonly expirationDateTime?: string },
): Promise<DeviceSubscription> {
  const data = await createGraphQLRequest(access)<{ createDeviceSubscription: DeviceSubscription }>(
    CREATE_DEVICE_SUBSCRIPTION,
    { input },
  );
  return data.createDeviceSubscription;
}

/** Devices a page; the gateway's most (it caps a user's devices at 100 by default). */
const DEVICE_PAGE_SIZE = 100;

interface DevicePage<D> {
  readonly deviceSubscriptions: {
    readonly edges: ReadonlyArray<{ readonly node: D }>;
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  };
}

/**
 * The user's live devices, page by page, oldest first, until `stop` says so or the pages end; `document`
 * selects other fields of them (with DEVICE_SUBSCRIPTIONS' variables and page info).
 */
export async function eachDevice<D extends { readonly id: string } = DeviceSubscription>(
  request: GraphQLRequest,
  stop: (device: D) => boolean,
  document: string = DEVICE_SUBSCRIPTIONS,
): Promise<D[]> {
  const devices: D[] = [];
  let after: string | null = null;
  for (;;) {
    const page: DevicePage<D> = await request<DevicePage<D>>(document, {
      first: DEVICE_PAGE_SIZE,
      after,
    });
    for (const { node } of page.deviceSubscriptions.edges) {
      devices.push(node);
      if (stop(node)) return devices;
    }
    const { hasNextPage, endCursor } = page.deviceSubscriptions.pageInfo;
    if (!hasNextPage || endCursor === null) return devices;
    after = endCursor;
  }
}

/**
 * The user's live (unexpired) device subscriptions in the token's app, oldest first (every page).
 * @throws TidingsClientError UNAUTHENTICATED, NETWORK_ERROR.
 */
export function listDeviceSubscriptions(access: GatewayAccess): Promise<DeviceSubscription[]> {
  return eachDevice(createGraphQLRequest(access), () => false);
}

/**
 * The device subscription `id`, if it is the user's and has not expired.
 * @throws TidingsClientError NOT_FOUND otherwise.
 */
export async function findDeviceSubscription(
  request: GraphQLRequest,
  id: string,
): Promise<DeviceSubscription> {
  const device = (await eachDevice(request, (candidate) => candidate.id === id)).find(
    (candidate) => candidate.id === id,
  );
  if (!device || Date.parse(device.expirationDateTime) <= Date.now()) {
    throw new TidingsClientError(
      ClientErrorCode.NotFound,
      'The device subscription does not exist or has expired: create a new one.',
    );
  }
  return device;
}

/**
 * Extends a device subscription by the gateway's default lifetime (30 days from now).
 * @throws TidingsClientError NOT_FOUND when it is gone or expired.
 */
export async function renewDeviceSubscription(
  request: GraphQLRequest,
  deviceSubscriptionId: string,
): Promise<DeviceSubscription> {
  return (
    await request<{ renewDeviceSubscription: DeviceSubscription }>(RENEW_DEVICE_SUBSCRIPTION, {
      input: { deviceSubscriptionId },
    })
  ).renewDeviceSubscription;
}
