import type { DeviceSubscription } from '../../src/domain/types.js';
import type { Store } from '../../src/store/types.js';

/**
 * A WEB device subscription of `subject` in `appId`, made on the store directly (no gateway), valid for a
 * day, with a random UNSID that starts with `prefix`.
 */
export function createWebDevice(
  store: Pick<Store, 'createDeviceSubscription'>,
  appId: string,
  subject: string,
  prefix = 'unsid',
): Promise<DeviceSubscription> {
  const now = new Date();
  return store.createDeviceSubscription({
    id: `${prefix}-${Math.random().toString(36).slice(2)}`,
    owner: { appId, issuer: 'urn:test', subject },
    platform: 'WEB',
    deviceLabel: 'web',
    expirationDateTime: new Date(now.getTime() + 86_400_000),
    now,
    maxDevices: 100,
  });
}
