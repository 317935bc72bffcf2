// Tidings' store under the raw `ws` server: each published change is first posted through Tidings' own
// SQLite store (src/store: its feed advance, notification, change log, group commit, WAL with
// synchronous=FULL, on the event loop as on the bench's one-CPU server), and each frame sent is noted by
// Tidings' own delivery recorder, whose flush writes the delivery marks as the gateway's does. No HTTP
// routing, authentication, GraphQL or live feeds of Tidings': its ratio to raw `ws` is what Tidings'
// data costs to keep, and Tidings' ratio to it what the gateway around the store costs.
//
// A user's device subscription is made when its socket subscribes (the bench opens every socket before
// it measures); a post waits for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerApp } from '../../../src/auth/register-app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createDeliveryRecorder } from '../../../src/delivery/delivery-recorder.js';
import { newUnsid } from '../../../src/domain/unsid.js';
import { createStore } from '../../../src/store/create-store.js';
import { storeContent } from '../lib/notification.js';
import { serveRawWs } from './raw-ws-server.js';

const HOST = 'raw-ws-store.example.com';
const DEVICE_LIFETIME_MS = 7 * 86_400_000;

const dataDir = mkdtempSync(join(tmpdir(), 'raw-ws-store-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
const config = loadConfig(process.env, { dataDir });
const store = await createStore(config);
const { app } = await registerApp(store, { targetHostName: HOST });
const deliveries = createDeliveryRecorder(store, {
  intervalMs: config.retention.deliveryFlushMs,
  now: () => new Date(),
  onError: (error) => process.stderr.write(`raw-ws-store: delivery marks: ${String(error)}\n`),
});

interface Device {
  readonly id: string;
  /** Notes a frame sent, as a live feed does (the stretch since its first frame, one mark per flush). */
  readonly delivered: (from: number, to: number) => void;
}

/** Each user's device subscription, made at the user's first subscribe. */
const devices = new Map<string, Promise<Device>>();
function deviceOf(userId: string): Promise<Device> {
  let device = devices.get(userId);
  if (device === undefined) {
    const now = new Date();
    device = store
      .createDeviceSubscription({
        id: newUnsid(),
        owner: { appId: app.id, issuer: 'urn:bench:raw-ws-store', subject: userId },
        platform: 'WEB',
        deviceLabel: 'bench',
        expirationDateTime: new Date(now.getTime() + DEVICE_LIFETIME_MS),
        now,
        maxDevices: 10,
      })
      .then((created) => ({ id: created.id, delivered: deliveries.deviceRecorder(created.id) }));
    devices.set(userId, device);
  }
  return device;
}

serveRawWs(
  'raw-ws-store',
  async (userId, change) => {
    const device = await deviceOf(userId);
    const stored = await store.postNotification({
      target: { deviceSubscriptionId: device.id, appId: app.id },
      content: storeContent(HOST, change.notification.appNotificationId),
      now: new Date(),
    });
    if (stored === null) throw new Error('raw-ws-store: the post was refused');
    // Tidings' live feed notes each frame it sends, from where it started (its feed began at offset 0 here
    // and the bench's socket receives every change): one mark per device and flush.
    device.delivered(0, stored.offset);
  },
  (userId) => void deviceOf(userId),
);
