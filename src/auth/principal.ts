import type { DeviceCaller } from '../domain/device-access.js';
import type { FeedOwner } from '../domain/types.js';

/** Who is calling, as established from a verified token. */
export type Principal = AppPrincipal | UserPrincipal;

/** How long the token a principal was read from is good for. */
export interface TokenLifetime {
  /**
   * The first instant (epoch ms, by the gateway's clock) at which the token is refused: its `exp` plus
   * the clock tolerance, the rule jose applies over HTTP. A WebSocket opened with it is closed (4403)
   * then. A number, not a Date: every open socket keeps its principal, and a Date (≈ 90 bytes) is far
   * larger than the number (a 16-byte heap number at most).
   */
  readonly acceptedUntilMs: number;
}

/** An app service, authenticated by its own client credentials. */
export interface AppPrincipal extends TokenLifetime {
  readonly kind: 'app';
  /** Who vouched for it: an app's tokens count only from the issuer it is registered with. */
  readonly issuer: string;
  readonly appId: string;
  readonly scopes: readonly string[];
}

/** A user signed in to a client app: `appId` is the app the token was issued to. */
export interface UserPrincipal extends TokenLifetime {
  readonly kind: 'user';
  readonly issuer: string;
  readonly subject: string;
  readonly appId: string;
  readonly scopes: readonly string[];
}

/** The scope an app token needs to post and manage its notifications (Graph's name for it). */
export const NOTIFICATIONS_SCOPE = 'Notifications.ReadWrite.CreatedByApp';

/** The feed a user token speaks for: that user, in the app the token was issued to. */
export const feedOwnerOf = (user: UserPrincipal): FeedOwner => ({
  appId: user.appId,
  issuer: user.issuer,
  subject: user.subject,
});

/** Who a principal is when it names a UNSID (see mayUseDevice). */
export const deviceCallerOf = (principal: Principal): DeviceCaller =>
  principal.kind === 'user'
    ? { kind: 'user', owner: feedOwnerOf(principal) }
    : { kind: 'app', appId: principal.appId };
