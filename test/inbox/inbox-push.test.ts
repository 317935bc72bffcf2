import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, watchForErrors } from '../support/chromium.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import { startPushService } from '../support/push-service.js';
import { updateState } from '../support/state-operations.js';

// The inbox's desktop notifications in Chromium, driven through the DevTools protocol: the permission is
// granted with Browser.grantPermissions, pushes are delivered with ServiceWorker.deliverPushMessage (as
// DevTools' "Push" button does: straight to the worker's push event, with the payload given). What is
// out of reach here: a real subscription (pushManager.subscribe needs the browser's push service, which
// this closed network cannot reach) and a real click on an OS notification (no DevTools or WebDriver
// command clicks one; see the click test).

const HOST = 'push-inbox.example.com';

/** What the gateway pushes for a notification (PROTOCOL.md, "Web Push"). */
const pushFor = (id: string, title: string, body: string, close: string[] = []) => ({
  v: 1,
  kind: 'CREATED',
  notification: { id, appNotificationId: `app-${id}`, title, body, priority: 'NONE', groupName: null },
  tag: `tidings:${id}`,
  ...(close.length > 0 ? { close } : {}),
});

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { notificationId: string | null; url: string };
}

/** The notifications the inbox's service worker shows, as the page sees them. */
const shownIn = (page: Page): Promise<Shown[]> =>
  page.evaluate(async () => {
    // Run in the page (the tests' types have no DOM).
    const { navigator } = globalThis as unknown as {
      navigator: {
        serviceWorker: {
          getRegistration(scope: string): Promise<{ getNotifications(): Promise<Shown[]> } | undefined>;
        };
      };
    };
    const registration = await navigator.serviceWorker.getRegistration('/inbox');
    const shown = (await registration?.getNotifications()) ?? [];
    return shown.map(({ title, body, tag, data }) => ({ title, body, tag, data }));
  });

/** A gateway, a user, and the inbox signed in as them in Chromium, notifications allowed through CDP. */
async function setUp(options: { env?: Record<string, string> } = {}) {
  const t = await startGateway(options);
  const app = await t.registerApp(HOST);
  const token = await t.userToken('alice', app.app);
  const phone = await createDevice(t.url, token, 'ANDROID', 'phone');
  const context = await launchChromium();
  const errors: string[] = [];
  const page = await context.newPage();
  watchForErrors(page, errors);
  // Playwright sends CDP's Browser.grantPermissions on its browser session. (Sent on a page's session,
  // the grant ends with that session: closing the page revokes it, and closes the notifications.)
  await context.grantPermissions(['notifications'], { origin: t.origin });
  const cdp = await context.newCDPSession(page);
  const registrations = watchRegistrations(cdp);
  await page.goto(`${t.origin}/inbox`);
  await page.locator('#token').fill(token);
  await page.locator('#sign-in-form button[type=submit]').click();
  await page.locator('#status[data-state="live"]').waitFor();
  const post = async (title: string, body: string) =>
    dataOf(
      await postNotification(
        t.url,
        await app.token(),
        notificationInput(phone, HOST, { payload: { visualContent: { title, body } } }),
      ),
    ).createNotification.notification.id as string;
  return { t, token, context, page, cdp, errors, post, registrationId: () => registrations(t) };
}

/** The inbox's service worker registration id, for deliverPushMessage, once it is active. */
function watchRegistrations(cdp: CDPSession) {
  const scopes = new Map<string, string>();
  const active = new Set<string>();
  const changed: Array<() => void> = [];
  const notify = () => {
    for (const listener of changed.splice(0)) listener();
  };
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    for (const registration of registrations) scopes.set(registration.scopeURL, registration.registrationId);
    notify();
  });
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const version of versions) {
      if (version.status === 'activated') active.add(version.registrationId);
    }
    notify();
  });
  void cdp.send('ServiceWorker.enable');
  return async (t: TestGateway): Promise<string> => {
    for (;;) {
      const id = scopes.get(`${t.origin}/inbox`);
      if (id !== undefined && active.has(id)) return id;
      await new Promise<void>((resolve) => changed.push(resolve));
    }
  };
}

/** Whether each of the user's WEB devices holds a push subscription. */
async function webPushOf(t: TestGateway, token: string): Promise<boolean[]> {
  const { deviceSubscriptions } = dataOf(
    await graphql<{
      deviceSubscriptions: { edges: Array<{ node: { platform: string; webPush: boolean } }> };
    }>(t.url, '{ deviceSubscriptions { edges { node { platform webPush } } } }', {}, token),
  );
  return deviceSubscriptions.edges
    .filter(({ node }) => node.platform === 'WEB')
    .map(({ node }) => node.webPush);
}

/** A notification's shared state, as the gateway holds it. */
async function stateOf(t: TestGateway, token: string, id: string) {
  const { notification } = dataOf(
    await graphql<{ notification: { readState: string; userActionState: string } }>(
      t.url,
      'query ($id: ID!) { notification(notification: { id: $id }) { readState userActionState } }',
      { id },
      token,
    ),
  );
  return notification;
}

async function deliverPush(cdp: CDPSession, t: TestGateway, registrationId: string, payload: unknown) {
  await cdp.send('ServiceWorker.enable'); // once per session; again is harmless
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: t.origin,
    registrationId,
    data: JSON.stringify(payload),
  });
}

/** The inbox's service worker, as Playwright reaches it (a CDP session on the worker's target). */
async function inboxWorker(context: BrowserContext, t: TestGateway): Promise<Worker> {
  const url = `${t.origin}/inbox/service-worker.js`;
  return (
    context.serviceWorkers().find((worker) => worker.url() === url) ??
    (await context.waitForEvent('serviceworker', (worker) => worker.url() === url))
  );
}

/**
 * Clicks the notification the worker shows. No DevTools or WebDriver command clicks an OS notification, so
 * this dispatches the click event in the worker itself, through CDP (Runtime.evaluate on its target), on
 * the notification it shows: the worker's own handler runs. Such an event carries no user activation, so
 * Chromium refuses it focus() and openWindow() (InvalidAccessError): the URLs the handler asks to open are
 * recorded instead (see openedBy).
 */
async function clickShown(worker: Worker): Promise<void> {
  await worker.evaluate(async () => {
    const scope = globalThis as unknown as {
      registration: { getNotifications(): Promise<unknown[]> };
      clients: { openWindow(url: string): Promise<unknown> };
      dispatchEvent(event: Event): boolean;
      opened: string[];
    };
    scope.opened = [];
    scope.clients.openWindow = async (url: string) => {
      scope.opened.push(url);
      return null;
    };
    const [notification] = await scope.registration.getNotifications();
    if (!notification) throw new Error('The worker shows no notification to click.');
    const NotificationEventClass = (globalThis as unknown as Record<string, unknown>)
      .NotificationEvent as new (
      type: string,
      init: { notification: unknown },
    ) => Event;
    scope.dispatchEvent(new NotificationEventClass('notificationclick', { notification }));
  });
}

/** The URLs the worker's click handler asked to open since the last clickShown. */
const openedBy = (worker: Worker): Promise<string[]> =>
  worker.evaluate(() => (globalThis as unknown as { opened: string[] }).opened);

/**
 * Waits until the gateway has no WebSocket open (the closed inbox's close frame handled): a live feed still
 * open would take what is posted next live, and rightly no push would follow.
 */
async function untilNoSocketOpen(t: { readonly origin: string }): Promise<void> {
  await expect
    .poll(async () => /^tidings_open_sockets 0$/m.test(await (await fetch(`${t.origin}/metrics`)).text()))
    .toBe(true);
}
describe('the web inbox with desktop notifications', () => {
  it('serves its service worker with the scope header and a script content type', async () => {
    const t = await startGateway();
    const response = await fetch(`${t.origin}/inbox/service-worker.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(response.headers.get('service-worker-allowed')).toBe('/inbox');
    const script = await response.text();
    expect(script).toContain('notificationclick');
    expect(script).not.toMatch(/\bimport\s*[{*"']/); // one bundle, runnable as a classic worker
  });

  it('shows a pushed notification by tag, closes it when read elsewhere, and keeps the unread count in the title', async () => {
    const { t, token, page, cdp, errors, post, registrationId } = await setUp();
    const first = await post('Build #42 passed', 'All 318 tests are green on main.');
    await page.locator(`li[data-id="${first}"]`).waitFor();
    await expect.poll(() => page.title()).toBe('(1) Tidings inbox');
    const second = await post('Invoice 7 is due', 'Pay before 18:00.');
    await expect.poll(() => page.title()).toBe('(2) Tidings inbox');

    const id = await registrationId();
    await deliverPush(cdp, t, id, pushFor(first, 'Build #42 passed', 'All 318 tests are green on main.'));
    await expect
      .poll(() => shownIn(page))
      .toEqual([
        {
          title: 'Build #42 passed',
          body: 'All 318 tests are green on main.',
          tag: `tidings:${first}`,
          data: { notificationId: first, url: `${t.origin}/inbox` },
        },
      ]);

    // Read on another device: the open tab's feed says so, and the page closes its desktop notification.
    dataOf(await updateState(t.url, token, { notification: { id: first }, readState: 'READ' }));
    await expect.poll(() => shownIn(page)).toEqual([]);
    await expect.poll(() => page.title()).toBe('(1) Tidings inbox');

    // A push that carries a close list closes those first (what happens when no tab is open).
    await deliverPush(cdp, t, id, pushFor(second, 'Invoice 7 is due', 'Pay before 18:00.'));
    await expect
      .poll(async () => (await shownIn(page)).map((shown) => shown.tag))
      .toEqual([`tidings:${second}`]);
    const third = await post('Deploy done', 'v1.2.3 is live.');
    await deliverPush(cdp, t, id, pushFor(third, 'Deploy done', 'v1.2.3 is live.', [`tidings:${second}`]));
    await expect
      .poll(async () => (await shownIn(page)).map((shown) => shown.tag))
      .toEqual([`tidings:${third}`]);

    // Raw content only: a "sync" push still shows something (browsers require it), under one tag.
    await deliverPush(cdp, t, id, { v: 1, kind: 'SYNC', tag: 'tidings:sync' });
    await expect
      .poll(async () => (await shownIn(page)).map((shown) => [shown.tag, shown.data.notificationId]).sort())
      .toEqual([
        [`tidings:${third}`, third],
        ['tidings:sync', null],
      ]);
    // Deleted on another device (here: by the page itself): closed too.
    await page.locator(`li[data-id="${third}"] [data-action="delete"]`).click();
    await expect.poll(async () => (await shownIn(page)).map((shown) => shown.tag)).toEqual(['tidings:sync']);

    // Marked read in this tab: the title follows.
    await page.locator(`li[data-id="${second}"] [data-action="read"]`).click();
    await expect.poll(() => page.title()).toBe('Tidings inbox');
    expect(errors).toEqual([]);
  }, 60_000);

  it('on a click, brings the open inbox tab to the notification, or opens the inbox', async () => {
    const { t, token, context, page, cdp, errors, post, registrationId } = await setUp();
    const posted = await post('Missed call', 'Bob called you.');
    await page.locator(`li[data-id="${posted}"]`).waitFor();
    await deliverPush(cdp, t, await registrationId(), pushFor(posted, 'Missed call', 'Bob called you.'));
    await expect.poll(async () => (await shownIn(page)).length).toBe(1);

    // A click as the worker sees one (see clickShown: a test hook, since nothing clicks OS notifications).
    const worker = await inboxWorker(context, t);
    const click = () => clickShown(worker);
    const opened = () => openedBy(worker);

    // The inbox is open: the handler brings it up, at the notification clicked, and opens nothing (it
    // chose before it told the page).
    await click();
    await page.locator(`li.clicked[data-id="${posted}"]`).waitFor();
    expect(await opened()).toEqual([]);
    expect(await shownIn(page)).toEqual([]);
    // Clicked is opened: read and activated, for every device.
    await expect
      .poll(() => stateOf(t, token, posted))
      .toEqual({ readState: 'READ', userActionState: 'ACTIVATED' });

    // No inbox open (only another page of the gateway): the handler opens the inbox.
    const registration = await registrationId();
    const other = await context.newPage();
    await other.goto(`${t.origin}/healthz`);
    await page.close();
    await untilNoSocketOpen(t);
    const otherCdp = await context.newCDPSession(other);
    await deliverPush(otherCdp, t, registration, pushFor(posted, 'Missed call', 'Bob called you.'));
    await expect.poll(async () => (await shownIn(other)).length).toBe(1);
    await click();
    await expect.poll(opened).toEqual([`${t.origin}/inbox#notification=${posted}`]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows something for a push it cannot read, as browsers require of every push', async () => {
    const { t, page, cdp, errors, registrationId } = await setUp();
    const id = await registrationId();
    for (const payload of [{ v: 2, kind: 'SOMETHING_NEW', tag: 'tidings:x' }, 'not JSON']) {
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: t.origin,
        registrationId: id,
        data: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    }
    // Both under the sync tag: the second replaced the first.
    await expect
      .poll(() => shownIn(page))
      .toEqual([
        {
          title: 'Tidings',
          body: 'You have new notifications.',
          tag: 'tidings:sync',
          data: { notificationId: null, url: `${t.origin}/inbox` },
        },
      ]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('offers "Enable desktop notifications" only when the gateway pushes, and says why not', async () => {
    const { page } = await setUp({ env: { TIDINGS_WEB_PUSH: 'off' } });
    // Web Push off on this gateway: webPush is null.
    await page.locator('#push-toggle[data-state="unavailable"]').waitFor();
    expect(await page.locator('#push-toggle').isDisabled()).toBe(true);
    expect(await page.locator('#push-reason').textContent()).toContain('Web Push turned off');
  }, 60_000);

  it('enables desktop notifications from a click, and says so when the browser cannot subscribe', async () => {
    const { t, token, page } = await setUp();
    await page.locator('#push-toggle[data-state="off"]').waitFor();
    expect(await page.locator('#push-reason').isHidden()).toBe(true);
    // The permission is granted (CDP); subscribing needs Chromium's push service, which this network
    // cannot reach: Chromium never answers, and the page says so once the library stops waiting (20 s).
    await page.locator('#push-toggle').click();
    await page.locator('#push-toggle[data-state="busy"]').waitFor();
    await page
      .locator('#notice')
      .filter({ hasText: 'PUSH_SERVICE_UNAVAILABLE' })
      .waitFor({ timeout: 40_000 });
    await page.locator('#push-toggle[data-state="off"]').waitFor();
    expect(await webPushOf(t, token)).toEqual([false]);
  }, 90_000);

  it('shows what the gateway pushed while the inbox was closed, and a click opens the inbox', async () => {
    // The gateway pushes to a push-service stand-in, which decrypts what arrived; the test hands that
    // payload to the worker as Chromium's push service would. The stand-in's subscription is stored on the
    // inbox's device by hand: the one step that needs the browser's real push service.
    const service = await startPushService();
    const { t, token, context, page, post, registrationId } = await setUp({
      env: {
        TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on',
        // Short: the inbox is closed before the post, so no live feed can deliver it (the delay must exceed
        // the interval at which live deliveries are recorded).
        TIDINGS_DELIVERY_FLUSH_MS: '50',
        TIDINGS_WEB_PUSH_DELAY: '200ms',
        TIDINGS_WEB_PUSH_INTERVAL_MS: '100',
      },
    });
    const unsid = (await page.locator('#unsid').textContent()) ?? '';
    const browser = service.browser();
    dataOf(
      await graphql(
        t.url,
        'mutation ($input: SetDevicePushSubscriptionInput!) { setDevicePushSubscription(input: $input) { webPush } }',
        { input: { deviceSubscriptionId: unsid, pushSubscription: browser.subscription } },
        token,
      ),
    );
    const registration = await registrationId();
    // The inbox closes (its live feed with it); another page of the gateway keeps a DevTools session.
    const other = await context.newPage();
    await other.goto(`${t.origin}/healthz`);
    await page.close();
    await untilNoSocketOpen(t);
    const otherCdp = await context.newCDPSession(other);

    const posted = await post('Your order shipped', 'Order 42 is on its way.');
    await service.untilReceived(1);
    expect(service.problems).toEqual([]);
    const [push] = service.received;
    expect(push?.payload).toMatchObject({ kind: 'CREATED', tag: `tidings:${posted}` });
    await deliverPush(otherCdp, t, registration, push?.payload);
    await expect
      .poll(() => shownIn(other))
      .toEqual([
        {
          title: 'Your order shipped',
          body: 'Order 42 is on its way.',
          tag: `tidings:${posted}`,
          data: { notificationId: posted, url: `${t.origin}/inbox` },
        },
      ]);
    const worker = await inboxWorker(context, t);
    await clickShown(worker);
    const inbox = `${t.origin}/inbox#notification=${posted}`;
    await expect.poll(() => openedBy(worker)).toEqual([inbox]);
    // What the worker asked to open, opened: the inbox shows that notification, now read and activated.
    const opened = await context.newPage();
    await opened.goto(inbox);
    await opened.locator(`li.clicked[data-id="${posted}"][data-read-state="READ"]`).waitFor();
    expect(new URL(opened.url()).hash).toBe('');
    expect(await stateOf(t, token, posted)).toEqual({ readState: 'READ', userActionState: 'ACTIVATED' });
  }, 60_000);
});
