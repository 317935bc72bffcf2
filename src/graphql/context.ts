import {
  type AppPrincipal,
  deviceCallerOf,
  NOTIFICATIONS_SCOPE,
  type Principal,
  type UserPrincipal,
} from '../auth/principal.js';
import type { Config } from '../config/config.js';
import type { FeedCloseCode } from '../delivery/close-codes.js';
import type { DeliveryRecorder } from '../delivery/delivery-recorder.js';
import type { FeedWriter } from '../delivery/feed-writer.js';
import { mayUseDevice } from '../domain/device-access.js';
import type { DeviceSubscription } from '../domain/types.js';
import { hasUnsidShape } from '../domain/unsid.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import type { Fanout } from '../fanout/fanout.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { StoreWithoutFeedWrites } from '../store/types.js';
import type { RateLimiter } from './rate-limiter.js';

/** What resolvers may use: the parts of the gateway, never the HTTP or WebSocket layer. */
export interface Services {
  readonly config: Config;
  /** Reads, and the writes devices need not hear of; feeds change only through `feeds`. */
  readonly store: StoreWithoutFeedWrites;
  /** The one door for every change devices must hear of: commit, then publish. */
  readonly feeds: FeedWriter;
  /** Where live feeds listen for wake-ups (publishing is the feed writer's alone). */
  readonly fanout: Pick<Fanout, 'subscribe' | 'whenListening'>;
  readonly deliveries: DeliveryRecorder;
  /** Per-app limit on mutations. */
  readonly appMutations: RateLimiter;
  /** Per-user (in one app) limit on mutations made with a user token. */
  readonly userMutations: RateLimiter;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The clock; tests replace it to control expiry. */
  readonly now: () => Date;
  /** What browsers need to subscribe for Web Push; null when it is off (TIDINGS_WEB_PUSH). */
  readonly webPush: { readonly applicationServerKey: string } | null;
}

export interface GatewayContext {
  readonly principal: Principal;
  readonly services: Services;
  /** The log of this request (its lines carry the request id) or WebSocket connection (connection id). */
  readonly logger: Logger;
  /** The WebSocket the operation arrived on; absent over HTTP. */
  readonly connection?: SubscriptionConnection;
}

/** What a subscription may do with its WebSocket beyond graphql-ws's own messages. */
export interface SubscriptionConnection {
  close(code: FeedCloseCode, reason: string): void;
  /**
   * Sends this subscription a `next` message whose payload is already JSON text (a result shared by
   * many sockets is serialised once); resolves true when the socket has taken it, false, sending
   * nothing, when the subscription or its socket is gone (then nothing after it may count as delivered).
   */
  sendNext(payloadJson: string): Promise<boolean>;
  /** Whether a message sent now could still reach the client: the subscription and its socket are open. */
  isLive(): boolean;
  /**
   * Sends this subscription a `next` message whose payload many subscriptions share, without a promise:
   * the whole message is made once per operation id for that payload (held in `shared.frames`), so
   * sockets whose clients use the same id get the same bytes. Returns false, sending nothing, when the
   * subscription or its socket is gone; otherwise calls `written` once the socket has taken the frame (or
   * failed to: with the error), in the order of the sends of this subscription.
   */
  sendSharedNext(shared: SharedPayload, written: (error?: Error | null) => void): boolean;
}

/** A `next` payload shared by many subscriptions, and its whole messages by operation id. */
export interface SharedPayload {
  readonly json: string;
  frames?: Map<string, Buffer>;
}

/** @throws GatewayError FORBIDDEN unless the caller is a user signed in to a client app. */
export function requireUser(context: GatewayContext): UserPrincipal {
  if (context.principal.kind !== 'user') {
    throw new GatewayError(ErrorCode.Forbidden, 'This operation needs a user token.');
  }
  return context.principal;
}

/** @throws GatewayError FORBIDDEN unless the caller is an app with the notifications scope. */
export function requireApp(context: GatewayContext): AppPrincipal {
  const { principal } = context;
  if (principal.kind !== 'app')
    throw new GatewayError(ErrorCode.Forbidden, 'This operation needs an app token.');
  if (!principal.scopes.includes(NOTIFICATIONS_SCOPE)) {
    throw new GatewayError(ErrorCode.Forbidden, `This operation needs the scope ${NOTIFICATIONS_SCOPE}.`);
  }
  return principal;
}

/**
 * An app's mutation: checks the token like `requireApp`, and charges the app's rate limit.
 * @throws GatewayError FORBIDDEN (see requireApp); RATE_LIMITED past the app's rate.
 */
export function requireAppMutation(context: GatewayContext): AppPrincipal {
  const app = requireApp(context);
  context.services.appMutations.take(app.appId);
  return app;
}

/**
 * A user's mutation: checks the token like `requireUser`, and charges the user's rate limit (a user in
 * one app, as feeds are).
 * @throws GatewayError FORBIDDEN (see requireUser); RATE_LIMITED past the user's rate.
 */
export function requireUserMutation(context: GatewayContext): UserPrincipal {
  const user = requireUser(context);
  context.services.userMutations.take(JSON.stringify([user.appId, user.issuer, user.subject]));
  return user;
}

/**
 * A mutation either kind of token may make: charges the app's rate limit for an app token, the user's
 * for a user token.
 * @throws GatewayError FORBIDDEN for an app token without the scope; RATE_LIMITED past the rate.
 */
export function chargeMutation(context: GatewayContext): void {
  if (context.principal.kind === 'app') requireAppMutation(context);
  else requireUserMutation(context);
}

/**
 * A mutation an app service makes with a user's delegated token (on-behalf-of): the token must carry the
 * notifications scope, and the app's rate limit is charged as for its own token.
 * @throws GatewayError FORBIDDEN without the scope; RATE_LIMITED past the app's rate.
 */
export function requireDelegatedMutation(context: GatewayContext): UserPrincipal {
  const user = requireUser(context);
  if (!user.scopes.includes(NOTIFICATIONS_SCOPE)) {
    throw new GatewayError(
      ErrorCode.Forbidden,
      `This operation needs an app token, or a user token delegated with the scope ${NOTIFICATIONS_SCOPE}.`,
    );
  }
  context.services.appMutations.take(user.appId);
  return user;
}

/**
 * The device subscription a request names by UNSID, if the caller may use it: it exists, belongs to the
 * caller and has not expired (the one rule: mayUseDevice). A string not shaped as a UNSID is not read.
 * @throws GatewayError NOT_FOUND otherwise, exactly as for a UNSID that does not exist.
 */
export async function usableDevice(context: GatewayContext, unsid: string): Promise<DeviceSubscription> {
  const device = hasUnsidShape(unsid) ? await context.services.store.findDeviceSubscription(unsid) : null;
  if (!mayUseDevice(device, deviceCallerOf(context.principal), context.services.now())) {
    throw notFound('Device subscription');
  }
  return device;
}
