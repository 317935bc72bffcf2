import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryCursorStore,
  type FeedUpdate,
  type Notification,
  TidingsClientError,
  visualContentFor,
} from '../../src/client/index.js';
import { onCleanup } from '../support/cleanup.js';
import { type ClientApp, startClientApp } from '../support/client-app.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import { craftCursor, DELETE_NOTIFICATION, updateState } from '../support/state-operations.js';

const SECOND = 1000;
const ANDROID_ONLY = { targetPolicy: { platformTypes: ['ANDROID'] } };
const WEB_ONLY = { targetPolicy: { platformTypes: ['WEB'] } };
/** A HIGH raw notification for Android that falls back to WEB, with its own visual content, after 60 s. */
const FALLS_BACK_TO_WEB = {
  ...ANDROID_ONLY,
  priority: 'HIGH',
  payload: { rawContent: '{"call":"incoming"}' },
  fallbackPolicy: {
    endpointFallback: {
      platformTypes: ['WEB'],
      fallbackDelayInSeconds: 60,
      visualContent: { title: 'Missed call', body: 'From Bob' },
    },
  },
};

/** What an app following the updates shows, by id: as the client library tells apps to apply them. */
function shownBy(updates: readonly FeedUpdate[]): Map<string, Notification> {
  const shown = new Map<string, Notification>();
  for (const update of updates) {
    if (update.type === 'snapshot') {
      shown.clear();
      for (const notification of update.notifications) shown.set(notification.id, notification);
    } else if (update.type === 'removed') shown.delete(update.id);
    else if (update.notification.status === 'DELETED') shown.delete(update.notification.id);
    else shown.set(update.notification.id, update.notification);
  }
  return shown;
}

/** The updates of one notification, as `type kind` ('snapshot' for a snapshot that lists it). */
const historyOf = (app: ClientApp, id: string) =>
  app.updates.flatMap((update) => {
    if (update.type === 'snapshot') return update.notifications.some((n) => n.id === id) ? ['snapshot'] : [];
    const updateId = update.type === 'removed' ? update.id : update.notification.id;
    return updateId === id ? [`${update.type} ${update.kind}`] : [];
  });

describe('the client library shows a device only what is meant for it', () => {
  let t: TestGateway;
  let app: TestApp;
  let appToken: string;
  let advance: (ms: number) => void;
  let users = 0;

  beforeAll(async () => {
    // A clock the test moves, and no sweeper timer: fallbacks are sent when the test sweeps.
    const clock = { now: new Date() };
    t = await startGateway({ now: () => clock.now, env: { TIDINGS_SWEEP_INTERVAL_MS: '0' } });
    advance = (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    };
    app = await t.registerApp('targeting.example.com');
    appToken = await app.token();
  });

  /** A user with a WEB device (followed by a client app) and an ANDROID one (the other device). */
  async function setUp() {
    const token = await t.userToken(`user-${++users}`, app.app);
    const web = await createDevice(t.url, token, 'WEB', 'laptop');
    await createDevice(t.url, token, 'ANDROID', 'phone');
    const cursors = createMemoryCursorStore();
    const start = () =>
      startClientApp({ url: t.url, deviceSubscriptionId: web, token: () => token, cursorStore: cursors });
    const client = start();
    await client.untilStatus('live');
    return {
      token,
      cursors,
      client,
      start,
      async post(appNotificationId: string, overrides: Record<string, unknown> = {}) {
        const input = notificationInput(web, app.app.targetHostName, { appNotificationId, ...overrides });
        return dataOf(await postNotification(t.url, appToken, input)).createNotification.notification
          .id as string;
      },
      /** Marks it read or unread as another device of the user would. */
      async setReadState(id: string, readState: 'READ' | 'UNREAD') {
        dataOf(await updateState(t.url, token, { notification: { id }, readState }));
      },
      async remove(id: string) {
        dataOf(await graphql(t.url, DELETE_NOTIFICATION, { notification: { id } }, token));
      },
    };
  }

  it('never shows an ANDROID-only notification, through its whole life', async () => {
    const u = await setUp();
    const id = await u.post('android-only', ANDROID_ONLY);
    await u.setReadState(id, 'READ'); // on the phone
    await u.post('android-only', { ...ANDROID_ONLY, payload: { visualContent: { title: 'Again' } } });
    await u.remove(id);
    await u.post('everywhere');
    await u.client.untilChange('everywhere');

    // It heard of every later change, each as a removal; the creation never reached it.
    expect(historyOf(u.client, id)).toEqual(['removed STATE_CHANGED', 'removed REPLACED', 'removed DELETED']);
    expect([...shownBy(u.client.updates).values()].map((n) => n.appNotificationId)).toEqual(['everywhere']);
    // The cursor moved on past the removals.
    const last = u.client.updates.at(-1);
    await u.client.until(
      () => last?.type === 'change' && u.cursors.cursor === last.cursor,
      'the cursor saved',
    );
  });

  it('removes a notification a replacement moves off WEB, and adds one a replacement moves to it', async () => {
    const u = await setUp();
    const id = await u.post('moving');
    await u.client.untilChange('moving', 'CREATED');
    expect(shownBy(u.client.updates).has(id)).toBe(true);

    await u.post('moving', ANDROID_ONLY);
    await u.client.until(() => !shownBy(u.client.updates).has(id), 'the removal');
    expect(historyOf(u.client, id)).toEqual(['change CREATED', 'removed REPLACED']);

    await u.post('moving', { ...WEB_ONLY, payload: { visualContent: { title: 'Back on the web' } } });
    await u.client.until(() => shownBy(u.client.updates).has(id), 'the notification back');
    expect(historyOf(u.client, id)).toEqual(['change CREATED', 'removed REPLACED', 'change REPLACED']);
    expect(shownBy(u.client.updates).get(id)?.payload.visualContent?.title).toBe('Back on the web');
  });

  it('shows a notification that fell back to WEB with its fallback content, also after a restart', async () => {
    const u = await setUp();
    const id = await u.post('call', FALLS_BACK_TO_WEB);
    advance(61 * SECOND);
    expect((await t.gateway.sweepOnce()).fallbacks).toBe(1);

    const fallback = await u.client.untilChange('call', 'FALLBACK');
    expect(visualContentFor(fallback.notification, 'WEB')).toEqual({
      title: 'Missed call',
      body: 'From Bob',
    });
    await u.setReadState(id, 'READ');
    await u.client.until(() => shownBy(u.client.updates).get(id)?.readState === 'READ', 'read on the phone');
    await u.client.until(() => u.cursors.position?.fallbacks.includes(id) === true, 'the fallback saved');
    await u.client.client.close();

    // A restart from the stored position still takes it for this device's.
    await u.setReadState(id, 'UNREAD');
    const restarted = u.start();
    const unread = await restarted.untilChange('call', 'STATE_CHANGED');
    expect(restarted.updates.map((update) => update.type)).toEqual(['change']);
    expect(unread.notification.readState).toBe('UNREAD');

    // Deleted: removed, and forgotten from the position.
    await u.remove(id);
    await restarted.untilChange('call', 'DELETED');
    await restarted.until(() => u.cursors.position?.fallbacks.length === 0, 'the fallback forgotten');
  });

  it('lists a notification that fell back to WEB when it reloads the feed (RESYNC)', async () => {
    const u = await setUp();
    const id = await u.post('call', FALLS_BACK_TO_WEB);
    const hidden = await u.post('android-only', ANDROID_ONLY);
    advance(61 * SECOND);
    await t.gateway.sweepOnce();
    await u.client.untilChange('call', 'FALLBACK');
    await u.client.until(() => u.cursors.position?.fallbacks.includes(id) === true, 'the fallback saved');
    await u.client.client.close();

    // A cursor of another epoch: the gateway answers RESYNC, and the client reloads the feed.
    const position = u.cursors.position;
    if (!position) throw new Error('no position saved');
    await u.cursors.save({ ...position, cursor: craftCursor(randomUUID(), 0) });
    const restarted = u.start();
    await restarted.until(() => restarted.updates.some((update) => update.type === 'snapshot'), 'the reload');
    const listed = shownBy(restarted.updates);
    expect(listed.has(id)).toBe(true);
    expect(listed.has(hidden)).toBe(false);
  });
});

describe('the client library at a wrong URL', () => {
  /** A web server that answers every request with an HTML page, as a site or a dev server would. */
  async function htmlSite(status: number): Promise<string> {
    const server = createServer((_, response) => {
      response.writeHead(status, { 'content-type': 'text/html' }).end('<!doctype html><p>Welcome</p>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }

  const codeOf = async (client: ClientApp) => {
    const failed = await client.untilStatus('failed');
    return failed.state === 'failed' && failed.error instanceof TidingsClientError ? failed.error.code : null;
  };

  it('stops with INVALID_ENDPOINT where nothing answers GraphQL, instead of retrying forever', async () => {
    const t = await startGateway();
    const user = await t.userToken('alice', (await t.registerApp('wrong-url.example.com')).app);
    const unsid = await createDevice(t.url, user, 'WEB', 'laptop');
    for (const url of [t.url.replace(/\/graphql$/, '/nope'), await htmlSite(404), await htmlSite(200)]) {
      const client = startClientApp({ url, deviceSubscriptionId: unsid, token: () => user });
      expect(await codeOf(client)).toBe('INVALID_ENDPOINT');
      expect(client.statuses.map((status) => status.state)).toEqual(['failed']);
    }
  });

  it('keeps retrying a proxy that answers 502 without GraphQL', async () => {
    let asked = 0;
    const url = await htmlSite(502);
    const client = startClientApp({
      url,
      deviceSubscriptionId: 'any',
      token: () => 'token',
      retryWait: async () => {
        asked++;
      },
    });
    await client.until(() => asked >= 3, 'three retries');
    expect(client.statuses).toEqual([]);
  });
});
