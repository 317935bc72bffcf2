import { CloseCode } from 'graphql-ws';

/**
 * Close codes of the live feed, named as graphql-ws names its own (PROTOCOL.md lists them all).
 * graphql-ws closes with its own codes for protocol errors (4400 bad message, 4406 subprotocol,
 * 4408 no init in time, 4409 duplicate id, 4429 second init); these are the ones Tidings adds or uses.
 */
export const FeedCloseCode = {
  /** No, bad or expired token in `connection_init`: get a token, then reconnect. */
  Forbidden: CloseCode.Forbidden,
  /** The user already holds the most sockets allowed (TIDINGS_MAX_CONNECTIONS_PER_USER): close one. */
  TooManyConnections: 4030,
  /** The device fell too far behind (its unsent changes passed the bound): reconnect with its cursor. */
  SlowConsumer: 4008,
  /** The token could not be checked now (the external issuer's keys are unreachable): retry later. */
  TryAgainLater: 1013,
  /** The gateway is shutting down: reconnect (to any instance) with the cursor. */
  GoingAway: 1001,
} as const;
export type FeedCloseCode = (typeof FeedCloseCode)[keyof typeof FeedCloseCode];
