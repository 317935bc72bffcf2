/**
 * Codes of a {@link TidingsClientError}: the gateway's own `extensions.code` values, passed through, and
 * the ones the client adds for what happens on its side.
 */
export const ClientErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  BadUserInput: 'BAD_USER_INPUT',
  RateLimited: 'RATE_LIMITED',
  /** A count limit is reached (e.g. the user's devices in the app): nothing was done. Not transient. */
  LimitExceeded: 'LIMIT_EXCEEDED',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  /**
   * The gateway could not be reached (or, in a browser, the browser blocked the request because the gateway
   * does not allow the page's origin: the message then says so), or answered a 5xx, 408 or 429 without
   * GraphQL (e.g. a proxy's 502).
   */
  NetworkError: 'NETWORK_ERROR',
  /**
   * The URL answered without GraphQL (e.g. 404, or an HTML page): it is not the gateway's GraphQL
   * endpoint. Not retried.
   */
  InvalidEndpoint: 'INVALID_ENDPOINT',
  /** The app's token provider threw. */
  TokenUnavailable: 'TOKEN_UNAVAILABLE',
  /** The app's `onUpdate` threw: the change was not marked handled, so a restart delivers it again. */
  HandlerFailed: 'HANDLER_FAILED',
  /** The live feed's socket closed with a code that retrying cannot fix (see `closeCode`). */
  ConnectionRefused: 'CONNECTION_REFUSED',
  /** Web Push cannot be used: the gateway has it off (`webPush` is null), or the browser has no Push API. */
  WebPushUnavailable: 'WEB_PUSH_UNAVAILABLE',
  /** The browser refused to subscribe to pushes: the user denied (or has not granted) notifications. */
  PermissionDenied: 'PERMISSION_DENIED',
  /**
   * The browser could not subscribe: its push service failed or did not answer in time (a browser without
   * its vendor's push service, or offline). Nothing was stored.
   */
  PushServiceUnavailable: 'PUSH_SERVICE_UNAVAILABLE',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

const TRANSIENT: ReadonlySet<string> = new Set([
  ClientErrorCode.NetworkError,
  ClientErrorCode.ServiceUnavailable,
  ClientErrorCode.RateLimited,
]);

/** Every error the client reports or throws. Branch on `code` (a {@link ClientErrorCode} or a gateway code). */
export class TidingsClientError extends Error {
  readonly code: string;
  /** The WebSocket close code, for `CONNECTION_REFUSED`. */
  readonly closeCode: number | null;

  constructor(code: string, message: string, options: { cause?: unknown; closeCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TidingsClientError';
    this.code = code;
    this.closeCode = options.closeCode ?? null;
  }

  /** Whether trying again later may succeed (the gateway was unreachable, busy or rate-limiting). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}
