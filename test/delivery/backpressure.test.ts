import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

describe('backpressure', () => {
  it('closes a paused socket with 4008 while another device of the same user keeps receiving', {
    timeout: 120_000,
  }, async () => {
    const logs = captureLogs();
    const t = await startGateway({
      env: { TIDINGS_MAX_PENDING_CHANGES: '50', TIDINGS_APP_MUTATION_BURST: '100000' },
      logger: logs.logger,
    });
    const app = await t.registerApp('slow.example.com');
    const appToken = await app.token();
    const userToken = await t.userToken('alice', app.app);
    const healthyDevice = await createDevice(t.url, userToken, 'WEB');
    const slowDevice = await createDevice(t.url, userToken, 'ANDROID');
    const cursor = await feedCursor(t.url, userToken);
    const healthy = openFeed(t.wsUrl, userToken, { deviceSubscriptionId: healthyDevice, after: cursor });

    // The slow device: a raw graphql-ws socket that stops reading once subscribed.
    const slow = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    onCleanup(() => slow.terminate());
    const slowMessages: Array<{ id?: string; type: string; payload?: any }> = [];
    const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      slow.on('open', () =>
        slow.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${userToken}` } }),
        ),
      );
      slow.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_ack') {
          // The same feed ten times on one socket: ten times the bytes per notification, so the
          // kernel's socket buffers (tens of MB on loopback) fill after a few hundred posts.
          for (let id = 1; id <= 10; id++) {
            slow.send(
              JSON.stringify({
                id: String(id),
                type: 'subscribe',
                payload: {
                  query:
                    'subscription ($s: ID!, $a: String) { notificationChanges(deviceSubscriptionId: $s, after: $a) { cursor notification { appNotificationId payload { rawContent } } } }',
                  variables: { s: slowDevice, a: cursor },
                },
              }),
            );
          }
          resolve();
        } else {
          slowMessages.push(message);
        }
      });
      slow.on('error', reject);
    });
    slow.pause();

    // Large notifications until the gateway gives up on the paused socket (a bounded loop).
    const rawContent = 'x'.repeat(4000);
    let posted = 0;
    while (logs.withMessage('closed a slow live feed').length === 0 && posted < 5000) {
      await Promise.all(
        Array.from({ length: 25 }, () =>
          postNotification(
            t.url,
            appToken,
            notificationInput(slowDevice, 'slow.example.com', {
              appNotificationId: `n-${posted++}`,
              payload: { rawContent },
            }),
          ),
        ),
      );
    }
    // One line per feed on the slow socket (it subscribed ten times), each naming the device and socket.
    expect(logs.withMessage('closed a slow live feed')[0]).toMatchObject({
      level: 'info',
      deviceSubscriptionId: slowDevice,
      connectionId: expect.any(String),
    });

    // The healthy device got everything, in order, while the other one was stuck.
    await postNotification(
      t.url,
      appToken,
      notificationInput(slowDevice, 'slow.example.com', { appNotificationId: 'end' }),
    );
    const received = await healthy.until(
      (change) => change.notification?.appNotificationId === 'end',
      30_000,
    );
    expect(received).toHaveLength(posted + 1);

    // The slow device, once it reads again, finds the documented close code after what was sent.
    slow.resume();
    expect(await slowClosed).toBe(4008);
    const got = slowMessages
      .filter((m) => m.type === 'next' && m.id === '1')
      .map((m) => m.payload.data.notificationChanges);
    expect(got.length).toBeLessThan(posted);
    expect(got.map((c: any) => c.notification.appNotificationId)).toEqual(
      received.slice(0, got.length).map((c) => c.notification?.appNotificationId),
    );

    // It resumes from its last cursor and misses nothing.
    const resumed = openFeed(t.wsUrl, userToken, {
      deviceSubscriptionId: slowDevice,
      after: got.at(-1)?.cursor ?? cursor,
    });
    const rest = await resumed.until((change) => change.notification?.appNotificationId === 'end', 30_000);
    expect([
      ...got.map((c: any) => c.notification.appNotificationId),
      ...rest.map((c) => c.notification?.appNotificationId),
    ]).toEqual(received.map((c) => c.notification?.appNotificationId));
  });
});
