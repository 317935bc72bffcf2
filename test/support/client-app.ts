import WebSocket from 'ws';
import {
  type ClientStatus,
  createMemoryCursorStore,
  createTidingsClient,
  type FeedUpdate,
  type TidingsClient,
  type TidingsClientOptions,
} from '../../src/client/index.js';
import { onCleanup } from './cleanup.js';

/** A gate a test opens when it is ready: e.g. to let a client reconnect only after a change is posted. */
export function createGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

export interface ClientApp {
  readonly client: TidingsClient;
  /** Every update handed to the app, in order. */
  readonly updates: FeedUpdate[];
  readonly statuses: ClientStatus[];
  /** The appNotificationId of every change handed over, in order (snapshots left out). */
  changes(): string[];
  /** Resolves once `check` holds; fails after `timeoutMs`. */
  until(check: () => boolean, description: string, timeoutMs?: number): Promise<void>;
  /** Waits for a change of this appNotificationId (and kind, if given); resolves with it. */
  untilChange(appNotificationId: string, kind?: string): Promise<Extract<FeedUpdate, { type: 'change' }>>;
  untilStatus(state: ClientStatus['state']): Promise<ClientStatus>;
}

/**
 * A client app built on the client library, as an app would use it (with `ws`, Node 20 having no global
 * WebSocket), recording what the library hands it. Closed when the test file ends.
 */
export function startClientApp(
  options: Pick<TidingsClientOptions, 'url' | 'deviceSubscriptionId' | 'token'> &
    Partial<Omit<TidingsClientOptions, 'url' | 'deviceSubscriptionId' | 'token'>>,
): ClientApp {
  const updates: FeedUpdate[] = [];
  const statuses: ClientStatus[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const client = createTidingsClient({
    cursorStore: createMemoryCursorStore(),
    webSocketImpl: WebSocket,
    ...options,
    async onUpdate(update) {
      await options.onUpdate?.(update);
      updates.push(update);
      // After the library saved the cursor (it does so when this returns): let waiters see both.
      setImmediate(notify);
    },
    onStatus(status) {
      statuses.push(status);
      options.onStatus?.(status);
      notify();
    },
  });
  onCleanup(() => client.close());

  /** Checked after every update and status, and every 20 ms for what the app is not told about. */
  function until(check: () => boolean, description: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => waiter(), 20);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        clearInterval(poll);
        reject(new Error(`Timed out waiting for ${description}; statuses ${JSON.stringify(statuses)}`));
      }, timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
    });
  }

  const changeUpdates = () =>
    updates.filter((update): update is Extract<FeedUpdate, { type: 'change' }> => update.type === 'change');
  return {
    client,
    updates,
    statuses,
    changes: () => changeUpdates().map((update) => update.notification.appNotificationId),
    until,
    async untilChange(appNotificationId, kind) {
      const find = () =>
        changeUpdates().find(
          (update) =>
            update.notification.appNotificationId === appNotificationId &&
            (kind === undefined || update.kind === kind),
        );
      await until(() => find() !== undefined, `a change of ${appNotificationId}`);
      return find() as Extract<FeedUpdate, { type: 'change' }>;
    },
    async untilStatus(state) {
      const find = () => statuses.findLast((status) => status.state === state);
      await until(() => find() !== undefined, `status ${state}`);
      return find() as ClientStatus;
    },
  };
}
