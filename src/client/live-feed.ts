import { type Client, createClient } from 'graphql-ws/client';
import type { RetryWait } from './backoff.js';
import { ClientErrorCode, TidingsClientError } from './client-error.js';
import { NOTIFICATION_CHANGES } from './documents.js';
import { obtainToken } from './graphql-http.js';
import type { ChangeKind, Notification, TokenProvider } from './types.js';

/** One `notificationChanges` message as the gateway sends it. */
export interface ReceivedChange {
  readonly kind: ChangeKind;
  readonly cursor: string;
  readonly notification: Notification | null;
}

// Close codes the client acts on (PROTOCOL.md lists them all).
const FORBIDDEN = 4403; // no, bad or expired token: get a fresh one
const INTERNAL_SERVER_ERROR = 4500; // graphql-ws gives up on it; PROTOCOL.md: reconnect with backoff
// A token refused this many times in a row, fresh each time, will not be accepted by trying again.
const MAX_REFUSED_TOKENS = 3;

export interface LiveFeedOptions {
  readonly wsUrl: string;
  readonly subscriptionId: string;
  /** Resume after this cursor; null: live changes only. */
  readonly after: string | null;
  readonly token: TokenProvider;
  readonly webSocketImpl?: unknown;
  readonly retryWait: RetryWait;
  /** Every change, in feed order, as it arrives. */
  readonly onChange: (change: ReceivedChange) => void;
  readonly onConnection: (state: 'connecting' | 'live' | 'reconnecting', closeCode: number | null) => void;
  /** Called once when the feed stops on its own: `null` when the device subscription was deleted. */
  readonly onEnd: (error: TidingsClientError | null) => void;
}

const closeCodeOf = (value: unknown): number | null =>
  typeof value === 'object' && value !== null && 'code' in value && 'reason' in value
    ? Number((value as { code: unknown }).code)
    : null;

/**
 * Closes a graphql-ws client. Its `dispose` waits for the connection being made, and rejects with that
 * connection's failure (e.g. ECONNREFUSED while the gateway restarts): then there is nothing to close.
 */
async function dispose(client: Client | undefined): Promise<void> {
  try {
    await client?.dispose();
  } catch {
    // the connection being made failed: nothing to close
  }
}

/** The client error for whatever ended a graphql-ws subscription. */
function toClientError(error: unknown): TidingsClientError {
  if (error instanceof TidingsClientError) return error;
  // An `error` message: GraphQL errors (e.g. LIMIT_EXCEEDED, a validation error).
  if (Array.isArray(error)) {
    const first = error[0] as { message?: string; extensions?: { code?: unknown } } | undefined;
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'GRAPHQL_ERROR';
    return new TidingsClientError(code, first?.message ?? 'The subscription failed.');
  }
  const closeCode = closeCodeOf(error);
  if (closeCode === FORBIDDEN) {
    return new TidingsClientError(ClientErrorCode.Unauthenticated, 'The gateway refused every fresh token.', {
      closeCode,
    });
  }
  return new TidingsClientError(ClientErrorCode.ConnectionRefused, `The live feed closed (${closeCode}).`, {
    cause: error,
    ...(closeCode === null ? {} : { closeCode }),
  });
}

/**
 * The device's `notificationChanges` subscription on graphql-ws's own client, which reconnects with
 * backoff whatever closed the socket. Each reconnect resumes after the last change received: graphql-ws
 * sends the same `payload` object again on every new socket, so the subscription's `after` variable is
 * moved on with every change that arrives. A close for an expired token (4403) makes the next connection
 * ask the token provider with `refresh: true`.
 */
export function openLiveFeed(options: LiveFeedOptions) {
  const variables = { subscriptionId: options.subscriptionId, after: options.after };
  let client: Client | undefined;
  let unsubscribe = () => {};
  let finished = false;
  let refreshToken = false;
  let refusedInARow = 0;
  let restarts = 0;

  function finish(error: TidingsClientError | null) {
    if (finished) return;
    finished = true;
    unsubscribe();
    void dispose(client);
    options.onEnd(error);
  }

  function open() {
    const current = createClient({
      url: options.wsUrl,
      webSocketImpl: options.webSocketImpl,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: options.retryWait,
      // Every socket error or close is worth a reconnect (the gateway restarting refuses connections for
      // a while), except a token the app cannot give (the provider threw) or one refused again and again.
      shouldRetry: (errorOrClose) =>
        !(errorOrClose instanceof TidingsClientError) && refusedInARow < MAX_REFUSED_TOKENS,
      connectionParams: async () => {
        const token = await obtainToken(options.token, refreshToken);
        refreshToken = false;
        return { authorization: `Bearer ${token}` };
      },
      on: {
        // A retry follows a close, already reported as 'reconnecting' with its code.
        connecting: (isRetry) => {
          if (!finished && !isRetry) options.onConnection('connecting', null);
        },
        connected: () => {
          refusedInARow = 0;
          restarts = 0;
          if (!finished) options.onConnection('live', null);
        },
        closed: (event) => {
          const code = closeCodeOf(event);
          if (code === FORBIDDEN) {
            refreshToken = true;
            refusedInARow++;
          }
          if (!finished && current === client) options.onConnection('reconnecting', code);
        },
      },
    });
    client = current;
    unsubscribe = current.subscribe<{ notificationChanges: ReceivedChange }>(
      { query: NOTIFICATION_CHANGES, variables },
      {
        next(result) {
          // NOT_FOUND (the UNSID is not this user's, or expired) or BAD_USER_INPUT (a malformed cursor).
          const error = result.errors?.[0];
          if (error) return finish(toClientError([error]));
          const change = result.data?.notificationChanges;
          if (!change || finished) return;
          variables.after = change.cursor;
          options.onChange(change);
        },
        error(error) {
          if (finished || current !== client) return;
          if (closeCodeOf(error) === INTERNAL_SERVER_ERROR) {
            void dispose(current);
            void options.retryWait(restarts++).then(() => {
              if (!finished) open();
            });
            return;
          }
          finish(toClientError(error));
        },
        // The server completes the feed when the device subscription is deleted.
        complete: () => {
          if (current === client) finish(null);
        },
      },
    );
  }

  open();
  return {
    /** Stops the feed and closes its socket; `onEnd` is not called. */
    async close(): Promise<void> {
      finished = true;
      unsubscribe();
      await dispose(client);
    },
  };
}
