import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { onCleanup } from './cleanup.js';

export interface ReceivedChange {
  kind: string;
  cursor: string;
  notification: { id: string; appNotificationId: string; [field: string]: unknown } | null;
}

export const CHANGE_SELECTION = `kind cursor notification {
  id appNotificationId readState status priority groupName targetPolicy { platformTypes }
  payload { visualContent { title body } rawContent }
}`;

export interface FeedClient {
  /** Everything received so far, in order. */
  readonly received: ReceivedChange[];
  /** The next change not yet taken; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<ReceivedChange>;
  /** Takes changes until one matches, returning all taken (the match last); fails after `timeoutMs`. */
  until(match: (change: ReceivedChange) => boolean, timeoutMs?: number): Promise<ReceivedChange[]>;
  /** Resolves with the close code when the socket closes (for whatever reason). */
  readonly closed: Promise<number>;
  /** Resolves when the server completes the subscription (the feed ended without an error). */
  readonly completed: Promise<void>;
  /** Drops the connection abruptly (no close frame), as a lost network would. */
  kill(): void;
  /** Resolves with the GraphQL errors if the subscription ends with errors. */
  readonly failed: Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

/**
 * A real graphql-ws client subscribed to `notificationChanges`, queueing every message so a test
 * can take them one by one without ever missing one. `webSocketImpl`: another `ws` class, e.g. one
 * that trusts a test's certificate (test/support/nginx.ts).
 */
export function openFeed(
  wsUrl: string,
  token: string,
  variables: { deviceSubscriptionId: string; after?: string | null },
  selection = CHANGE_SELECTION,
  webSocketImpl: typeof WebSocket = WebSocket,
): FeedClient {
  const received: ReceivedChange[] = [];
  let resolveCompleted!: () => void;
  const completed = new Promise<void>((resolve) => {
    resolveCompleted = resolve;
  });
  let connection: WebSocket | undefined;
  let taken = 0;
  let wake: (() => void) | undefined;
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => {
    resolveClosed = resolve;
  });
  let resolveFailed!: (errors: readonly { message: string; extensions?: Record<string, unknown> }[]) => void;
  const failed = new Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>(
    (resolve) => {
      resolveFailed = resolve;
    },
  );
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: (socket) => {
        connection = socket as WebSocket;
      },
      closed: (event) => resolveClosed((event as { code: number }).code),
    },
    onNonLazyError: () => {},
  });
  client.subscribe<{ notificationChanges: ReceivedChange }>(
    {
      query: `subscription ($deviceSubscriptionId: ID!, $after: String) { notificationChanges(deviceSubscriptionId: $deviceSubscriptionId, after: $after) { ${selection} } }`,
      variables,
    },
    {
      next(result) {
        if (result.errors) resolveFailed(result.errors as never);
        if (result.data) {
          received.push(result.data.notificationChanges);
          wake?.();
        }
      },
      error(error) {
        resolveFailed(
          Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }],
        );
        wake?.();
      },
      complete: () => resolveCompleted(),
    },
  );
  const dispose = async () => {
    await client.dispose();
  };
  onCleanup(dispose);

  async function next(timeoutMs = 5000): Promise<ReceivedChange> {
    const deadline = Date.now() + timeoutMs;
    while (taken >= received.length) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`No change within ${timeoutMs} ms (received ${received.length}).`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    return received[taken++] as ReceivedChange;
  }

  return {
    received,
    next,
    async until(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      const out: ReceivedChange[] = [];
      for (;;) {
        const change = await next(Math.max(1, deadline - Date.now()));
        out.push(change);
        if (match(change)) return out;
      }
    },
    closed,
    completed,
    failed,
    kill: () => connection?.terminate(),
    close: dispose,
  };
}
