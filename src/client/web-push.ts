import { ClientErrorCode, TidingsClientError } from './client-error.js';
import { eachDevice, type GatewayAccess } from './device-subscriptions.js';
import { DEVICE_WEB_PUSH, SET_DEVICE_PUSH_SUBSCRIPTION, WEB_PUSH } from './documents.js';
import { createGraphQLRequest } from './graphql-http.js';
import type { DeviceSubscription } from './types.js';

// Web Push for a browser's device subscription: subscribe with the gateway's VAPID key, store the push
// subscription on the device, keep it current when the browser (or the gateway's key) changes it. Typed
// structurally, so that it works with a page's or a service worker's ServiceWorkerRegistration and needs
// neither the DOM nor the WebWorker types (nor a browser, in tests).

/** What `PushSubscription.toJSON()` gives. */
export interface PushSubscriptionJSONLike {
  readonly endpoint?: string;
  readonly expirationTime?: number | null;
  readonly keys?: Record<string, string>;
}

/** The parts of a `PushSubscription` used here. */
export interface PushSubscriptionLike {
  readonly options?: { readonly applicationServerKey: ArrayBuffer | null };
  toJSON(): PushSubscriptionJSONLike;
  unsubscribe(): Promise<boolean>;
}

/** The parts of a `ServiceWorkerRegistration` used here: a page's, or `self.registration` in a worker. */
export interface PushRegistration {
  readonly pushManager?: {
    getSubscription(): Promise<PushSubscriptionLike | null>;
    subscribe(options: {
      userVisibleOnly: boolean;
      applicationServerKey: Uint8Array<ArrayBuffer>;
    }): Promise<PushSubscriptionLike>;
  };
}

export interface WebPushOptions extends GatewayAccess {
  /** The service worker registration whose push subscription the gateway pushes to. */
  readonly registration: PushRegistration;
  /** The WEB device subscription (UNSID) that gets the pushes. */
  readonly deviceSubscriptionId: string;
  /**
   * How long the browser may take to subscribe (default 20 s). A browser that cannot reach its push
   * service may never answer (headless Chromium without Google's service does not).
   */
  readonly subscribeTimeoutMs?: number;
}

const SUBSCRIBE_TIMEOUT_MS = 20_000;

/** A device subscription, with whether it holds a push subscription (the endpoint is never returned). */
export interface WebPushDevice extends DeviceSubscription {
  readonly webPush: boolean;
}

/**
 * The gateway's VAPID public key (base64url), to subscribe with; null when the gateway has Web Push off.
 * @throws TidingsClientError UNAUTHENTICATED, NETWORK_ERROR… (a gateway without Web Push at all, older
 *   than it, answers GRAPHQL_VALIDATION_FAILED).
 */
export async function getWebPushKey(access: GatewayAccess): Promise<string | null> {
  const data = await createGraphQLRequest(access)<{ webPush: { applicationServerKey: string } | null }>(
    WEB_PUSH,
  );
  return data.webPush?.applicationServerKey ?? null;
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

function sameBytes(a: ArrayBuffer, b: Uint8Array): boolean {
  const bytes = new Uint8Array(a);
  return bytes.length === b.length && bytes.every((byte, index) => byte === b[index]);
}

function pushManagerOf(registration: PushRegistration) {
  if (!registration.pushManager) {
    throw new TidingsClientError(
      ClientErrorCode.WebPushUnavailable,
      'This browser has no Push API (PushManager): it cannot receive pushes.',
    );
  }
  return registration.pushManager;
}

/** `promise`, or a PUSH_SERVICE_UNAVAILABLE rejection after `ms`. */
function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TidingsClientError(
            ClientErrorCode.PushServiceUnavailable,
            `The browser did not subscribe within ${ms} ms: its push service is out of reach.`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The registration's push subscription for `key`: the existing one when it was made with that key (a
 * browser keeps one per registration) and `reuse` allows, else a new one, after dropping the existing one
 * (made with another key: the gateway's key changed; or one the gateway no longer holds).
 * @throws TidingsClientError PERMISSION_DENIED when the browser refuses (notifications not granted),
 *   PUSH_SERVICE_UNAVAILABLE when its push service fails or does not answer in time.
 */
async function subscriptionFor(
  registration: PushRegistration,
  key: Uint8Array<ArrayBuffer>,
  reuse: boolean,
  timeoutMs: number,
) {
  const pushManager = pushManagerOf(registration);
  const existing = await pushManager.getSubscription();
  const existingKey = existing?.options?.applicationServerKey;
  if (reuse && existing && existingKey && sameBytes(existingKey, key)) return existing;
  await existing?.unsubscribe();
  try {
    // userVisibleOnly: browsers accept no other; the service worker shows a notification for every push.
    return await withinTime(
      pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
      timeoutMs,
    );
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'NotAllowedError') {
      throw new TidingsClientError(
        ClientErrorCode.PermissionDenied,
        'The browser refused to subscribe: notifications are not allowed for this site.',
        { cause: error },
      );
    }
    // Chromium's answer when its push service fails ("Registration failed - push service error").
    if (name === 'AbortError') {
      throw new TidingsClientError(
        ClientErrorCode.PushServiceUnavailable,
        'The browser could not subscribe: its push service failed.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The mutation's input for a push subscription, as PushSubscriptionInput takes it. */
export function pushSubscriptionInput(json: PushSubscriptionJSONLike) {
  const { endpoint, keys } = json;
  if (!endpoint || !keys?.p256dh || !keys.auth) {
    throw new TidingsClientError(
      ClientErrorCode.BadUserInput,
      'The push subscription has no endpoint or keys (is it a PushSubscription?).',
    );
  }
  return {
    endpoint,
    expirationTime: json.expirationTime ?? null,
    keys: { p256dh: keys.p256dh, auth: keys.auth },
  };
}

/**
 * Stores (or, with null, removes) the push subscription of one of the user's WEB device subscriptions.
 * @throws TidingsClientError NOT_FOUND (not the user's device), BAD_USER_INPUT (not a WEB device, or an
 *   endpoint or keys the gateway refuses), UNAUTHENTICATED, NETWORK_ERROR…
 */
export async function setDevicePushSubscription(
  access: GatewayAccess,
  deviceSubscriptionId: string,
  pushSubscription: PushSubscriptionJSONLike | null,
): Promise<WebPushDevice> {
  const input = {
    deviceSubscriptionId,
    pushSubscription: pushSubscription && pushSubscriptionInput(pushSubscription),
  };
  return (
    await createGraphQLRequest(access)<{ setDevicePushSubscription: WebPushDevice }>(
      SET_DEVICE_PUSH_SUBSCRIPTION,
      { input },
    )
  ).setDevicePushSubscription;
}

/**
 * Turns Web Push on for a device, or keeps it current: fetches the gateway's key, subscribes the
 * registration (reusing its subscription when it was made with that key), and stores the subscription on
 * the device. Idempotent: call it on every start (browsers rotate subscriptions, gateways their keys, and
 * a gateway drops a subscription its push service calls gone: then it subscribes anew), and from the
 * service worker's `pushsubscriptionchange`. In a page, ask `Notification.requestPermission()`
 * first, from a click: browsers refuse a subscription without it.
 * @throws TidingsClientError WEB_PUSH_UNAVAILABLE (the gateway has Web Push off, or the browser has no
 *   Push API), PERMISSION_DENIED, PUSH_SERVICE_UNAVAILABLE (the browser's push service failed or did not
 *   answer in time), and the codes of {@link setDevicePushSubscription}.
 */
export async function enableWebPush(options: WebPushOptions): Promise<WebPushDevice> {
  pushManagerOf(options.registration);
  const key = await getWebPushKey(options);
  if (key === null) {
    throw new TidingsClientError(
      ClientErrorCode.WebPushUnavailable,
      'This gateway has Web Push turned off (its webPush query answers null).',
    );
  }
  // The browser's subscription is reused only while the gateway holds one for the device: one it dropped
  // (its push service answered 404 or 410: the subscription is dead) is replaced, not stored again.
  const isThisDevice = (device: { readonly id: string }) => device.id === options.deviceSubscriptionId;
  const devices = await eachDevice<{ id: string; webPush: boolean }>(
    createGraphQLRequest(options),
    isThisDevice,
    DEVICE_WEB_PUSH,
  );
  const subscription = await subscriptionFor(
    options.registration,
    fromBase64Url(key),
    devices.find(isThisDevice)?.webPush === true,
    options.subscribeTimeoutMs ?? SUBSCRIBE_TIMEOUT_MS,
  );
  return setDevicePushSubscription(options, options.deviceSubscriptionId, subscription.toJSON());
}

/**
 * Turns Web Push off for a device: removes its push subscription from the gateway, then unsubscribes the
 * registration (in this order: a failure leaves the browser subscribed, and a retry finishes the job).
 * @throws TidingsClientError the codes of {@link setDevicePushSubscription}.
 */
export async function disableWebPush(options: WebPushOptions): Promise<WebPushDevice> {
  const device = await setDevicePushSubscription(options, options.deviceSubscriptionId, null);
  await (await options.registration.pushManager?.getSubscription())?.unsubscribe();
  return device;
}
