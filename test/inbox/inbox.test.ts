import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, watchForErrors } from '../support/chromium.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, listDevices, notificationInput, postNotification } from '../support/operations.js';
import { updateState } from '../support/state-operations.js';

const HOST = 'inbox.example.com';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const item = (page: Page, id: string, state = '') => page.locator(`li[data-id="${id}"]${state}`);

describe('the web inbox', () => {
  it('is served with a strict Content-Security-Policy, its script bundled for the browser', async () => {
    const t = await startGateway();
    const page = await fetch(`${t.origin}/inbox`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
    expect(await page.text()).toContain('<script type="module" src="/inbox/inbox.js">');
    const script = await fetch(`${t.origin}/inbox/inbox.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).not.toMatch(/from\s*["'](graphql-ws|\.)/); // one bundle, no imports left
  });

  it('shows the feed live in two tabs of the same user, which stay in step', async () => {
    // A clock the test moves, and no sweeper timer: the fallback below is sent when the test sweeps.
    const clock = { now: new Date() };
    const t = await startGateway({ now: () => clock.now, env: { TIDINGS_SWEEP_INTERVAL_MS: '0' } });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const token = await t.userToken('alice', app.app);
    // The app service targets alice through one of her UNSIDs: her phone's.
    const phone = await createDevice(t.url, token, 'ANDROID', 'phone');
    const post = async (title: string, body: string, overrides: Record<string, unknown> = {}) =>
      dataOf(
        await postNotification(
          t.url,
          appToken,
          notificationInput(phone, HOST, { payload: { visualContent: { title, body } }, ...overrides }),
        ),
      ).createNotification.notification.id as string;

    const welcome = await post('Welcome to Tidings', 'Notifications for you show up here, live.');
    const context = await launchChromium();
    const errors: string[] = [];
    const first = await context.newPage();
    watchForErrors(first, errors);
    await first.goto(`${t.origin}/inbox`);
    await first.locator('#token').fill('not-a-token');
    await first.locator('#sign-in-form button[type=submit]').click();
    expect(await first.locator('#sign-in-error').textContent()).not.toBe('');
    await first.locator('#token').fill(token);
    await first.locator('#sign-in-form button[type=submit]').click();
    await first.locator('#status[data-state="live"]').waitFor();
    await item(first, welcome).waitFor();
    expect(await first.locator('#who').textContent()).toBe('alice');

    // A second tab: signed in from localStorage, on the same device subscription.
    const second = await context.newPage();
    watchForErrors(second, errors);
    await second.goto(`${t.origin}/inbox`);
    await second.locator('#status[data-state="live"]').waitFor();
    await item(second, welcome).waitFor();
    const devices = await listDevices(t.url, token);
    expect(devices.map((device) => device.platform).sort()).toEqual(['ANDROID', 'WEB']);
    expect(await second.locator('#unsid').textContent()).toBe(await first.locator('#unsid').textContent());

    // Posted by the app now: both tabs show it, live.
    const build = await post('Build #42 passed', 'All 318 tests are green on main.', { groupName: 'ci' });
    const invoice = await post('Invoice 7 is due tomorrow', 'Pay before 18:00 to keep your plan.', {
      priority: 'HIGH',
    });
    const markup = await post('<img src=x onerror=alert(1)>', 'Shown as text, never as markup.');
    for (const page of [first, second]) {
      await item(page, build, '[data-read-state="UNREAD"]').waitFor();
      await item(page, invoice).waitFor();
      await item(page, markup).waitFor();
    }
    expect(await item(first, markup).locator('.title').textContent()).toBe('<img src=x onerror=alert(1)>');
    expect(await first.locator('.feed img').count()).toBe(0);

    // One tab changes state; the other follows.
    await item(first, welcome).locator('[data-action="read"]').click();
    await item(second, welcome, '[data-read-state="READ"]').waitFor();
    await item(second, build).locator('[data-action="dismiss"]').click();
    await item(first, build, '[data-user-action-state="DISMISSED"]').waitFor();
    await item(first, markup).locator('[data-action="delete"]').click();
    await item(second, markup).waitFor({ state: 'detached' });
    expect(await second.locator('#unread-count').textContent()).toBe('2 unread');

    // For the phone only: never shown here, not even when the phone reads it (the feed says so).
    const phoneOnly = await post('For the phone', 'Not for the web.', {
      targetPolicy: { platformTypes: ['ANDROID'] },
    });
    dataOf(await updateState(t.url, token, { notification: { id: phoneOnly }, readState: 'READ' }));
    // A call for the phone, unanswered: it falls back to the web, with its fallback's content.
    const call = await post('unused', 'unused', {
      targetPolicy: { platformTypes: ['ANDROID'] },
      priority: 'HIGH',
      payload: { rawContent: '{"call":"incoming"}' },
      fallbackPolicy: {
        endpointFallback: {
          platformTypes: ['WEB'],
          fallbackDelayInSeconds: 60,
          visualContent: { title: 'Missed call', body: 'Bob called you.' },
        },
      },
    });
    clock.now = new Date(clock.now.getTime() + 61_000);
    expect((await t.gateway.sweepOnce()).fallbacks).toBe(1);
    for (const page of [first, second]) {
      await item(page, call).waitFor();
      expect(await item(page, call).locator('.title').textContent()).toBe('Missed call');
      expect(await item(page, phoneOnly).count()).toBe(0);
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    await first.screenshot({ path: join(ARTIFACTS, 'inbox.png'), fullPage: true });

    await second.locator('#mark-all-read').click();
    await item(first, invoice, '[data-read-state="READ"]').waitFor();
    expect(await first.locator('#unread-count').textContent()).toBe('All read');

    // Signing out takes the token and the notifications' text out of the browser's storage.
    await second.locator('#sign-out').click();
    await expect
      .poll(async () =>
        ((await second.evaluate('Object.keys(localStorage)')) as string[]).filter(
          (key) => !key.includes('.device.'),
        ),
      )
      .toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);
});
