import webPush from 'web-push';
import type { Store } from '../store/types.js';

/** Where the store keeps the deployment's VAPID key pair (README "Web Push": back it up with the database). */
export const VAPID_KEY_NAME = 'web-push-vapid';

/** The gateway's VAPID key pair (RFC 8292), as web-push takes it: base64url, uncompressed public point. */
export interface VapidKeys {
  /** 65 bytes: what browsers get as `applicationServerKey`. */
  readonly publicKey: string;
  /** 32 bytes: the private scalar. A secret: never logged. */
  readonly privateKey: string;
}

/**
 * The deployment's VAPID key pair: made by the first process that starts with Web Push on, kept in the
 * store, so every process signs with the same key and browsers' subscriptions (bound to it) stay valid.
 * @throws Error when the stored value is not a key pair (a damaged row: restore it from a backup).
 */
export async function loadOrCreateVapidKeys(store: Pick<Store, 'sharedKey'>, now: Date): Promise<VapidKeys> {
  const stored = await store.sharedKey(
    VAPID_KEY_NAME,
    () => JSON.stringify(webPush.generateVAPIDKeys()),
    now,
  );
  const keys = JSON.parse(stored) as Partial<VapidKeys>;
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64url').length : 0);
  if (bytes(keys.publicKey) !== 65 || bytes(keys.privateKey) !== 32) {
    throw new Error(`The store's ${VAPID_KEY_NAME} key is not a VAPID key pair: restore it from a backup.`);
  }
  return Object.freeze({ publicKey: keys.publicKey as string, privateKey: keys.privateKey as string });
}
