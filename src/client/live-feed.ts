import { type Client, createClient } from 'graphql-ws/client';
import { type RetryWait, waitUnlessAborted } from './backoff.js';
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
// A connection that lasted this long before it failed starts the backoff of the next one from zero.
const STABLE_MS = 60_000;

export interface LiveFeedOptions {
  readonly wsUrl: string;
  readonly deviceSubscriptionId: string;
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
  const variables = { deviceSubscriptionId: options.deviceSubscriptionId, after: options.after };
  let client: Client | undefined;
  let unsubscribe = () => {};
  let finished = false;
  let refreshToken = false;
  let refusedInARow = 0;
  let restarts = 0;
  let connectedAt = 0;
  // Operation ids: a counter, not graphql-ws's default UUID. An id only has to be unique on its socket, and
  // the gateway writes a change's `next` message once per operation id for every device of the feed:
  // clients whose ids match (most: their first subscription is 1) share it, where UUIDs made one each.
  let operations = 0;
  // Aborted by close(): ends any wait for a reconnect at once, so nothing is left waiting or opened.
  const closing = new AbortController();
  const retryWait: RetryWait = (retries) => waitUnlessAborted(options.retryWait, retries, closing.signal);

  function finish(error: TidingsClientError | null) {
    if (finished) return;
    finished = true;
    closing.abort();
    unsubscribe();
    void dispose(client);
    options.onEnd(error);
  }

  /**
   * Drops `current` and opens a new client after a backoff, resuming after the last change received:
   * for failures graphql-ws does not retry by itself, but that a later attempt may not meet (the
   * gateway's internal error, or the store unreachable while the subscription started). Whatever
   * `current` still reports afterwards (its `complete`, its close) is ignored.
   */
  function restart(current: Client, closeCode: number | null) {
    if (current !== client) return;
    client = undefined;
    unsubscribe();
    unsubscribe = () => {};
    void dispose(current);
    if (Date.now() - connectedAt > STABLE_MS) restarts = 0;
    options.onConnection('reconnecting', closeCode);
    void retryWait(restarts++).then(() => {
      if (!finished) open();
    });
  }

  function open() {
    const current = createClient({
      url: options.wsUrl,
      webSocketImpl: options.webSocketImpl,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait,
      generateID: () => String(++operations),
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
          if (!finished && !isRetry && current === client) options.onConnection('connecting', null);
        },
        connected: () => {
          refusedInARow = 0;
          connectedAt = Date.now();
          if (!finished && current === client) options.onConnection('live', null);
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
          if (finished || current !== client) return;
          // NOT_FOUND (the UNSID is not this user's, or expired) or BAD_USER_INPUT (a malformed cursor)
          // end the feed; SERVICE_UNAVAILABLE (the store unreachable for now) is tried again.
          const error = result.errors?.[0];
          if (error) {
            const failure = toClientError([error]);
            return failure.transient ? restart(current, null) : finish(failure);
          }
          const change = result.data?.notificationChanges;
          if (!change) return;
          variables.after = change.cursor;
          options.onChange(change);
        },
        error(error) {
          if (finished || current !== client) return;
          const closeCode = closeCodeOf(error);
          // A 4500 close was reported as 'reconnecting' already.
          if (closeCode === INTERNAL_SERVER_ERROR) return restart(current, closeCode);
          // An `error` message: the feed failed on the gateway (e.g. the store, while catching up).
          const failure = toClientError(error);
          if (failure.transient) return restart(current, null);
          finish(failure);
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
      closing.abort();
      unsubscribe();
      await dispose(client);
    },
  };
}
