import { exponentialBackoff, type RetryWait, waitUnlessAborted } from './backoff.js';
import { ClientErrorCode, TidingsClientError } from './client-error.js';
import type { CursorStore } from './cursor-store.js';
import { createDeviceRenewal } from './device-renewal.js';
import { findDeviceSubscription, renewDeviceSubscription } from './device-subscriptions.js';
import {
  ACKNOWLEDGE,
  DELETE_NOTIFICATION,
  DELETE_NOTIFICATION_GROUP,
  MARK_ALL_READ,
  UPDATE_NOTIFICATION_STATE,
} from './documents.js';
import { createGraphQLRequest, type FetchLike } from './graphql-http.js';
import { openLiveFeed, type ReceivedChange } from './live-feed.js';
import { loadFeed } from './load-feed.js';
import { fallsBackTo, isTargetedAt } from './targeting.js';
import type {
  ChangeKind,
  ClientStatus,
  DeviceSubscription,
  FeedUpdate,
  Notification,
  ReadState,
  TokenProvider,
  UserActionState,
} from './types.js';

const DAY_MS = 24 * 3600 * 1000;

export interface TidingsClientOptions {
  /** The gateway's GraphQL URL, e.g. https://tidings.example.com/graphql */
  readonly url: string;
  /** The live feed's URL; by default `url` with ws(s): for http(s):. */
  readonly wsUrl?: string;
  /** This device's UNSID (from createDeviceSubscription). */
  readonly deviceSubscriptionId: string;
  /** Called for every connection and request: cache the token, and get a new one when `refresh` is set. */
  readonly token: TokenProvider;
  readonly cursorStore: CursorStore;
  /**
   * Handles the feed, one update at a time, in order. The cursor is saved once it returns (or its
   * promise resolves); if it throws, the client stops with HANDLER_FAILED and the update comes again
   * on the next start.
   */
  readonly onUpdate: (update: FeedUpdate) => void | Promise<void>;
  readonly onStatus?: (status: ClientStatus) => void;
  /** A problem the client works around (a renewal that failed and will be retried). */
  readonly onError?: (error: unknown) => void;
  readonly onDeviceRenewed?: (device: DeviceSubscription) => void;
  /** Renew the device subscription when less than this is left (default 7 days). */
  readonly renewBeforeMs?: number;
  /**
   * The wait before each reconnect or retried request (default: exponential backoff, up to 30 s). Its
   * `signal` aborts when the client closes; `close()` never waits for it.
   */
  readonly retryWait?: RetryWait;
  /** A WebSocket class where there is no global one (Node 20: `import WebSocket from 'ws'`). */
  readonly webSocketImpl?: unknown;
  readonly fetch?: FetchLike;
}

export interface StateChange {
  readonly readState?: ReadState;
  readonly userActionState?: UserActionState;
  /** Required with SNOOZED (ISO 8601, in the future). */
  readonly snoozedUntil?: string;
}

const sameStatus = (a: ClientStatus, b: ClientStatus) =>
  a.state === b.state &&
  (a.state !== 'reconnecting' || b.state !== 'reconnecting' || a.closeCode === b.closeCode);

const isFinal = (status: ClientStatus) =>
  status.state === 'ended' || status.state === 'failed' || status.state === 'closed';

/**
 * A client app's connection to its user's feed: loads it, follows it live, resumes from the stored
 * cursor after any disconnect, reloads it when the gateway answers RESYNC, keeps the device subscription
 * renewed, and changes the shared state of notifications. It starts at once.
 *
 * State changes go over HTTP, not the socket: each one is answered on its own (401, 429 and their
 * retry rules apply as to any request), it works while the socket is reconnecting, and its result
 * reaches every device, this one included, through the feed.
 */
export function createTidingsClient(options: TidingsClientOptions) {
  const request = createGraphQLRequest(options);
  const retryWait = options.retryWait ?? exponentialBackoff;
  const wsUrl = options.wsUrl ?? options.url.replace(/^http/, 'ws');
  let status: ClientStatus = { state: 'starting' };
  let device: DeviceSubscription | null = null;
  let handledCursor: string | null = null;
  // Notifications that fell back to this device: shown though not targeted at its platform. Saved with
  // the cursor; a notification leaves it when it is deleted, or replaced (a replacement resets its fallback).
  let fallbacks = new Set<string>();
  let live: ReturnType<typeof openLiveFeed> | undefined;
  let stopped = false;
  // Aborted when the client stops: ends a wait before a retried request.
  const halted = new AbortController();
  // The app's updates, one at a time in feed order.
  let queue = Promise.resolve();

  let stopping: Promise<void> | undefined;
  function setStatus(next: ClientStatus) {
    if (isFinal(status) || sameStatus(status, next)) return;
    status = next;
    if (isFinal(next)) stopping = stop();
    options.onStatus?.(next);
  }
  const fail = (error: unknown) => {
    if (!stopped)
      setStatus({ state: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
  };

  async function stop() {
    stopped = true;
    halted.abort();
    renewal.stop();
    await live?.close();
  }

  const renewal = createDeviceRenewal({
    renewBeforeMs: options.renewBeforeMs ?? 7 * DAY_MS,
    renew: () => renewDeviceSubscription(request, options.deviceSubscriptionId),
    onRenewed(renewed) {
      device = renewed;
      options.onDeviceRenewed?.(renewed);
    },
    onError: (error) => options.onError?.(error),
  });

  /** Tries `operation` again after `retryWait` while the gateway is unreachable or busy. */
  async function persistently<T>(operation: () => Promise<T>): Promise<T> {
    for (let retries = 0; ; retries++) {
      try {
        return await operation();
      } catch (error) {
        if (stopped || !(error instanceof TidingsClientError && error.transient)) throw error;
        await waitUnlessAborted(retryWait, retries, halted.signal);
        if (stopped) throw error;
      }
    }
  }

  /** Hands one update to the app, then saves the position it brings the feed to. */
  async function handOver(update: FeedUpdate, cursor: string | null) {
    if (stopped) return;
    try {
      await options.onUpdate(update);
    } catch (error) {
      throw new TidingsClientError(ClientErrorCode.HandlerFailed, 'onUpdate threw.', { cause: error });
    }
    if (cursor === null) return;
    await options.cursorStore.save({ cursor, fallbacks: [...fallbacks] });
    handledCursor = cursor;
  }

  async function snapshot(reason: 'start' | 'resync', cursor: string | null): Promise<string | null> {
    const platform = (device as DeviceSubscription).platform;
    const feed = await persistently(() => loadFeed(request, platform, fallbacks));
    const listed = new Set(feed.notifications.map((notification) => notification.id));
    fallbacks = new Set([...fallbacks].filter((id) => listed.has(id)));
    const resumeAt = cursor ?? feed.feedCursor;
    await handOver({ type: 'snapshot', reason, notifications: feed.notifications }, resumeAt);
    return resumeAt;
  }

  /**
   * The update for one change. The gateway sends a device every change of its user's feed but the
   * creation of notifications not targeted at its platform: the ones not for this device reach the app
   * as removals, so it never shows them, and drops one that a replacement moved off this platform.
   */
  function toUpdate(
    kind: Exclude<ChangeKind, 'RESYNC'>,
    cursor: string,
    notification: Notification,
  ): FeedUpdate {
    const platform = (device as DeviceSubscription).platform;
    const { id } = notification;
    // A replacement resets the fallback: it is this device's again only if targeted at it, or once it
    // falls back anew.
    if (kind === 'REPLACED') fallbacks.delete(id);
    if (kind === 'FALLBACK' && notification.status === 'ACTIVE' && fallsBackTo(notification, platform)) {
      fallbacks.add(id);
    }
    const forThisDevice = isTargetedAt(notification, platform) || fallbacks.has(id);
    if (notification.status === 'DELETED') fallbacks.delete(id);
    return forThisDevice
      ? { type: 'change', kind, cursor, notification }
      : { type: 'removed', kind, cursor, id };
  }

  function received(change: ReceivedChange) {
    queue = queue
      .then(async () => {
        const { kind, cursor, notification } = change;
        // The cursor cannot be resumed: reload, then carry on after the RESYNC's cursor.
        if (kind === 'RESYNC' || notification === null) await snapshot('resync', cursor);
        else await handOver(toUpdate(kind, cursor, notification), cursor);
      })
      .catch(fail);
  }

  async function start() {
    device = await persistently(() => findDeviceSubscription(request, options.deviceSubscriptionId));
    renewal.schedule(device.expirationDateTime);
    const position = await options.cursorStore.load();
    let cursor: string | null;
    if (position === null) cursor = await snapshot('start', null);
    else {
      cursor = handledCursor = position.cursor;
      fallbacks = new Set(position.fallbacks);
    }
    if (stopped) return;
    live = openLiveFeed({
      wsUrl,
      deviceSubscriptionId: options.deviceSubscriptionId,
      after: cursor,
      token: options.token,
      webSocketImpl: options.webSocketImpl,
      retryWait,
      onChange: received,
      onConnection: (state, closeCode) =>
        setStatus(state === 'reconnecting' ? { state, closeCode } : { state }),
      // Let the app handle what arrived before the end first.
      onEnd: (error) => {
        queue = queue.then(() => (error ? fail(error) : setStatus({ state: 'ended' })));
      },
    });
  }
  start().catch(fail);

  async function updateState(id: string, change: StateChange): Promise<Notification> {
    const data = await request<{ updateNotificationState: { notification: Notification } }>(
      UPDATE_NOTIFICATION_STATE,
      { input: { notification: { id }, ...change } },
    );
    return data.updateNotificationState.notification;
  }

  return {
    get status(): ClientStatus {
      return status;
    },
    /** The device subscription, once the client has found it (kept up to date by renewals). */
    get device(): DeviceSubscription | null {
      return device;
    },
    /**
     * Changes a notification's shared state; every device of the user gets the change through its feed.
     * @throws TidingsClientError NOT_FOUND (not in this user's feed), BAD_USER_INPUT, NETWORK_ERROR…
     */
    updateState,
    markRead: (id: string) => updateState(id, { readState: 'READ' }),
    markUnread: (id: string) => updateState(id, { readState: 'UNREAD' }),
    dismiss: (id: string) => updateState(id, { userActionState: 'DISMISSED' }),
    activate: (id: string) => updateState(id, { userActionState: 'ACTIVATED' }),
    snooze: (id: string, until: Date) =>
      updateState(id, { userActionState: 'SNOOZED', snoozedUntil: until.toISOString() }),
    /** Deletes the notification from every device of the user. */
    async deleteNotification(id: string): Promise<void> {
      await request(DELETE_NOTIFICATION, { input: { notification: { id } } });
    },
    /** Deletes every active notification of a group; resolves with their ids. */
    async deleteGroup(groupName: string): Promise<readonly string[]> {
      return (
        await request<{ deleteNotificationGroup: { notificationIds: string[] } }>(DELETE_NOTIFICATION_GROUP, {
          input: { groupName },
        })
      ).deleteNotificationGroup.notificationIds;
    },
    /** Marks every unread notification read; resolves with how many changed. */
    async markAllRead(): Promise<number> {
      return (await request<{ markAllRead: { count: number } }>(MARK_ALL_READ)).markAllRead.count;
    },
    /**
     * Tells the gateway this device has everything it handled (the app service sees it per device, and
     * it cancels pending fallbacks). Resolves with the cursor acknowledged, or null before any.
     */
    async acknowledge(): Promise<string | null> {
      const upTo = handledCursor;
      if (upTo === null) return null;
      await request(ACKNOWLEDGE, { input: { deviceSubscriptionId: options.deviceSubscriptionId, upTo } });
      return upTo;
    },
    /** Renews the device subscription now (the client also does it by itself before it expires). */
    renewDevice: (): Promise<DeviceSubscription> => renewal.renewNow(),
    /** Stops following the feed and closes the socket; waits for the update being handled. */
    async close(): Promise<void> {
      setStatus({ state: 'closed' });
      await Promise.all([stopping, queue]);
    },
  };
}

export type TidingsClient = ReturnType<typeof createTidingsClient>;
