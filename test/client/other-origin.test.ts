import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, watchForErrors } from '../support/chromium.js';
import { onCleanup } from '../support/cleanup.js';
import { startGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { captureLogs } from '../support/logs.js';
import { notificationInput, postNotification } from '../support/operations.js';
import { NOTIFICATION } from '../support/state-operations.js';
import type { OtherOriginPage } from './other-origin-page.js';

declare global {
  // The page's API (other-origin-page.ts), as the functions run in the page see it.
  var otherOriginPage: OtherOriginPage;
}

const HOST = 'web-app.example.com';

/** The page's script with the client library, bundled for browsers as the gateway bundles its inbox. */
async function bundlePage(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./other-origin-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output for the page.');
  return output.text;
}

/** A web app's own server, on a port (so an origin) of its own: serves the page. Resolves with its origin. */
async function serveWebApp(script: string): Promise<string> {
  const server = createServer((request, response) => {
    const [type, body] =
      request.url === '/page.js'
        ? ['text/javascript', script]
        : [
            'text/html',
            '<!doctype html><meta charset="utf-8"><title>A web app</title><script type="module" src="/page.js"></script>',
          ];
    response.writeHead(200, { 'content-type': `${type}; charset=utf-8` });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Two web apps on origins of their own (the gateway allows the first), and a browser. */
async function setUp() {
  const script = await bundlePage();
  const allowed = await serveWebApp(script);
  const other = await serveWebApp(script);
  const logs = captureLogs();
  const t = await startGateway({
    env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: allowed },
    logger: logs.logger,
  });
  const app = await t.registerApp(HOST);
  const context = await launchChromium();
  /** The web app's page of `origin`, loaded. */
  async function open(origin: string, errors: string[]): Promise<Page> {
    const page = await context.newPage();
    watchForErrors(page, errors);
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'otherOriginPage' in globalThis);
    return page;
  }
  return { t, app, logs, allowed, other, open };
}

const devicesOf = async (url: string, token: string) =>
  dataOf(
    await graphql<{ deviceSubscriptions: { edges: unknown[] } }>(
      url,
      '{ deviceSubscriptions { edges { node { id } } } }',
      {},
      token,
    ),
  ).deviceSubscriptions.edges;

describe('a web app on another origin', () => {
  it('registers its device, follows the feed live and marks a notification read, from an allowed origin', async () => {
    const { t, app, allowed, open } = await setUp();
    const token = await t.userToken('alice', app.app);
    const errors: string[] = [];
    const page = await open(allowed, errors);

    const registered = await page.evaluate(([url, user]) => otherOriginPage.register(url, user), [
      t.url,
      token,
    ] as const);
    if (!('id' in registered)) throw new Error(`The page could not register: ${JSON.stringify(registered)}`);
    expect(await devicesOf(t.url, token)).toEqual([{ node: { id: registered.id } }]);

    await page.evaluate(([url, user, unsid]) => otherOriginPage.follow(url, user, unsid), [
      t.url,
      token,
      registered.id,
    ] as const);
    await page.waitForFunction(() => otherOriginPage.statuses.includes('live'));
    // The app service posts; the page gets it live.
    const posted = dataOf(
      await postNotification(
        t.url,
        await app.token(),
        notificationInput(registered.id, HOST, {
          payload: { visualContent: { title: 'Across origins', body: 'Live on a page of another origin.' } },
        }),
      ),
    ).createNotification.notification.id as string;
    await page.waitForFunction(
      (id) =>
        otherOriginPage.updates.some((update) => update.type === 'change' && update.notification.id === id),
      posted,
    );

    expect(await page.evaluate((id) => otherOriginPage.markRead(id), posted)).toEqual({ readState: 'READ' });
    const stored = await graphql<{ notification: { readState: string } }>(
      t.url,
      NOTIFICATION,
      { notification: { id: posted } },
      token,
    );
    expect(dataOf(stored).notification.readState).toBe('READ');
    // …and the change comes back to the page through its feed, as to every device of the user.
    await page.waitForFunction(
      (id) =>
        otherOriginPage.updates.some(
          (update) =>
            update.type === 'change' &&
            update.kind === 'STATE_CHANGED' &&
            update.notification.id === id &&
            update.notification.readState === 'READ',
        ),
      posted,
    );
    expect(errors).toEqual([]);
  }, 60_000);

  it('is refused from an origin the gateway does not allow, over HTTP and WebSocket, and says it was blocked', async () => {
    const { t, app, logs, other, open } = await setUp();
    const token = await t.userToken('bob', app.app);
    const errors: string[] = [];
    const page = await open(other, errors);

    const refused = await page.evaluate(([url, user]) => otherOriginPage.register(url, user), [
      t.url,
      token,
    ] as const);
    // NETWORK_ERROR, as for any request without an answer the page may read; the client could tell the
    // gateway had answered, and its message names the setting to change rather than calling it down.
    expect(refused).toMatchObject({ failed: true, code: 'NETWORK_ERROR' });
    expect((refused as { message: string }).message).toContain('TIDINGS_CORS_ORIGINS');
    expect(errors.some((error) => error.includes('CORS'))).toBe(true); // Chromium's own report
    expect(await devicesOf(t.url, token)).toEqual([]); // the preflight was refused: nothing was sent

    // A socket opened by hand: refused at the upgrade (a page sees only 1006), for its origin.
    const socket = await page.evaluate((wsUrl) => otherOriginPage.openSocket(wsUrl), t.wsUrl);
    expect(socket).toEqual({ opened: false, closeCode: 1006 });
    expect(logs.withMessage('websocket upgrade refused: origin not allowed')).toEqual([
      expect.objectContaining({ origin: other }),
    ]);

    // The gateway down: now nothing answers, and the message does not blame the origin.
    await t.close();
    const unreachable = await page.evaluate(([url, user]) => otherOriginPage.register(url, user), [
      t.url,
      token,
    ] as const);
    expect(unreachable).toMatchObject({ failed: true, code: 'NETWORK_ERROR' });
    expect((unreachable as { message: string }).message).not.toContain('TIDINGS_CORS_ORIGINS');
  }, 60_000);
});
