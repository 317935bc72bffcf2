// Tidings' store under the raw `ws` server: each published change is first posted through Tidings' own
// SQLite store (src/store as the gateway opens it: its feed advance, notification, change log, group
// commit, WAL with synchronous=FULL; writes on the event loop when the process has one CPU, as the bench
// pins it, like the gateway's `auto`), and each frame sent is noted by Tidings' own delivery recorder for
// the socket's device, whose flushes write the delivery marks as the gateway's do. No HTTP routing,
// authentication, GraphQL or live feeds of Tidings': its ratio to raw `ws` is what Tidings' data costs
// to keep, and Tidings' ratio to it what the gateway around the store costs.
//
// Each socket gets a device subscription of its user when it subscribes, as each of Tidings' sockets
// follows a device of its own (the bench opens every socket before it measures); a user with no socket
// (the fan-out's trigger-alone target) gets one at its first post. A fresh database per start, in
// TIDINGS_BENCH_STORE_DIR (made and removed by the bench: systems/baseline-system.ts).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { registerApp } from '../../../src/auth/register-app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createDeliveryRecorder } from '../../../src/delivery/delivery-recorder.js';
import { newUnsid } from '../../../src/domain/unsid.js';
import { createStore } from '../../../src/store/create-store.js';
import { storeContent } from '../lib/notification.js';
import { createStoreDevice } from '../lib/store-device.js';
import { serveRawWs } from './raw-ws-server.js';

const HOST = 'raw-ws-store.example.com';
const ISSUER = 'urn:bench:raw-ws-store';

const storeDir = process.env.TIDINGS_BENCH_STORE_DIR;
if (!storeDir) throw new Error('raw-ws-store: TIDINGS_BENCH_STORE_DIR is not set (the bench sets it)');
const config = loadConfig(process.env, { dataDir: mkdtempSync(join(storeDir, 'start-')) });
const store = await createStore(config);
const { app } = await registerApp(store, { targetHostName: HOST });
const deliveries = createDeliveryRecorder(store, {
  intervalMs: config.retention.deliveryFlushMs,
  now: () => new Date(),
  onError: (error) => process.stderr.write(`raw-ws-store: delivery marks: ${String(error)}\n`),
});

const newDevice = (userId: string) =>
  createStoreDevice(store, {
    id: newUnsid(),
    appId: app.id,
    issuer: ISSUER,
    subject: userId,
    label: 'bench',
    maxDevices: config.limits.maxDevicesPerUser,
  });

/** The device each user's posts name (as an app names one of the user's UNSIDs): its first socket's. */
const postedDevice = new Map<string, Promise<string>>();
/** Each user's newest offset: where a socket's feed starts when it subscribes, as a live feed does. */
const heads = new Map<string, number>();

/** A subscribed socket's device, as its live feed would note its frames (one mark per device and flush). */
interface SocketFeed {
  readonly from: number;
  /** Set once the device exists. */
  note?: (from: number, to: number) => void;
}
const socketFeeds = new Map<WebSocket, SocketFeed>();

function subscribe(userId: string, socket: WebSocket): void {
  // A socket follows one subscription at a time (raw-ws-server.ts): a new one replaces the last.
  if (!socketFeeds.has(socket)) socket.once('close', () => socketFeeds.delete(socket));
  const feed: SocketFeed = { from: heads.get(userId) ?? 0 };
  socketFeeds.set(socket, feed);
  const device = newDevice(userId);
  if (!postedDevice.has(userId))
    postedDevice.set(
      userId,
      device.then((created) => created.id),
    );
  device.then(
    (created) => {
      // Gone or subscribed again meanwhile: nothing to note frames for with this device.
      if (socketFeeds.get(socket) === feed) feed.note = deliveries.deviceRecorder(created.id);
    },
    (error) => {
      postedDevice.delete(userId);
      process.stderr.write(`raw-ws-store: no device for ${userId}: ${String(error)}\n`);
    },
  );
}

function deviceToPost(userId: string): Promise<string> {
  let device = postedDevice.get(userId);
  if (device === undefined) {
    device = newDevice(userId).then((created) => created.id);
    postedDevice.set(userId, device);
  }
  return device;
}

serveRawWs(
  'raw-ws-store',
  async (userId, change) => {
    const stored = await store.postNotification({
      target: { deviceSubscriptionId: await deviceToPost(userId), appId: app.id },
      content: storeContent(HOST, change.notification.appNotificationId),
      now: new Date(),
    });
    if (stored === null) throw new Error('raw-ws-store: the post was refused');
    heads.set(userId, Math.max(heads.get(userId) ?? 0, stored.offset));
    // Per socket once `send` has taken its frame (the gateway notes it when the socket's write is done:
    // the same one mark per device and flush), covering what its feed sent since it opened.
    return (socket) => {
      const feed = socketFeeds.get(socket);
      feed?.note?.(feed.from, stored.offset);
    };
  },
  subscribe,
);
