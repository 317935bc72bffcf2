import type { DeviceSubscription } from '../../../src/domain/types.js';
import type { Store } from '../../../src/store/types.js';

/** Long enough for any bench run: no device expires while it is measured. */
const DEVICE_LIFETIME_MS = 86_400_000;

/**
 * A WEB device subscription made straight through the store (the benches that run the store without the
 * gateway: write-locality, wal-pages, raw-ws-store), for the user `subject` of `issuer` in the app.
 */
export function createStoreDevice(
  store: Pick<Store, 'createDeviceSubscription'>,
  device: {
    readonly id: string;
    readonly appId: string;
    readonly issuer: string;
    readonly subject: string;
    readonly label: string;
    readonly maxDevices: number;
  },
): Promise<DeviceSubscription> {
  const now = new Date();
  return store.createDeviceSubscription({
    id: device.id,
    owner: { appId: device.appId, issuer: device.issuer, subject: device.subject },
    platform: 'WEB',
    deviceLabel: device.label,
    expirationDateTime: new Date(now.getTime() + DEVICE_LIFETIME_MS),
    now,
    maxDevices: device.maxDevices,
  });
}
