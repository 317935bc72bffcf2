import type { DeviceSubscription, FeedOwner } from './types.js';

/**
 * Who names a UNSID in a request: a user, for their own devices in the app their token was issued to;
 * or an app service, for the devices of its own users.
 */
export type DeviceCaller =
  | { readonly kind: 'user'; readonly owner: FeedOwner }
  | { readonly kind: 'app'; readonly appId: string };

const sameOwner = (a: FeedOwner, b: FeedOwner): boolean =>
  a.appId === b.appId && a.issuer === b.issuer && a.subject === b.subject;

/**
 * The one rule for a UNSID named in a request: it may be used when it exists, belongs to the caller (a
 * user's own device in the token's app; for an app, a device of one of its users) and has not expired
 * at `now`. A caller that fails it is answered exactly as for a UNSID that does not exist, so the ids of
 * others leak nothing. (A batch of posts on PostgreSQL applies the app's case of it in SQL, in its one
 * statement: store/postgres-batch-statement.ts. A change here changes it there too.)
 */
export function mayUseDevice(
  device: DeviceSubscription | null | undefined,
  caller: DeviceCaller,
  now: Date,
): device is DeviceSubscription {
  if (!device || device.expirationDateTime.getTime() <= now.getTime()) return false;
  return caller.kind === 'user' ? sameOwner(device.owner, caller.owner) : device.owner.appId === caller.appId;
}
